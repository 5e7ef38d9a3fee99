"""A csnb project folder: ``csnb.toml``, its plans, its reports folder, and ``csnb init``."""

from __future__ import annotations

from csnb.project.config import Config, load_config
from csnb.project.folder import Project, display_path

__all__ = ["Config", "Project", "display_path", "load_config"]
