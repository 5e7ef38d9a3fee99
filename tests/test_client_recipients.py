"""Recipients belong to the client: refused at ``csnb validate``, and again, on its own, by the send guard.

Two clients, alpha and beta, each with a report for AS_OF, against a real SMTP server on 127.0.0.1
(aiosmtpd, see tests/mailkit.py). Beta's client-side people are ops@beta.example and
boss@beta.example. Each attack of the issue is played through ``csnb send`` and must deliver nothing:
not to Beta's people, not to anyone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from commands import run_csnb
from typer.testing import CliRunner

from csnb.cli import app
from csnb.delivery.send import send_client
from csnb.plan import Plan
from csnb.project.folder import Project

pytest.importorskip("aiosmtpd")
from mailkit import make_project, plan_yaml  # noqa: E402

STRANGER = "  - {id: jamie, name: Jamie Fox, side: client, role: Buyer, email: %s}"


class Unchecked(Project):
    """A project whose plans skip the loader's checks, as if read by an older csnb: only the guard is left."""

    def plan(self, client: str) -> Plan:
        """The plan of ``client``, its models validated but none of the loader's or cross-checks."""
        path = self.plan_path(client)
        plan = Plan.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        plan._path = path.resolve()
        return plan


def with_recipient(address: str) -> str:
    """Alpha's plan with one more client-side person at ``address``, who receives the weekly update."""
    return plan_yaml("alpha", STRANGER % address).replace(
        "recipients: [ops, dana]", "recipients: [ops, dana, jamie]"
    )


def send(root: Path, client: str) -> tuple[int, str]:
    done = run_csnb("send", client, cwd=root, timeout=120)
    return done.returncode, done.stdout + done.stderr


def validate(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["validate"])
    return result.exit_code, result.output


@pytest.mark.slow
def test_each_client_still_gets_its_own_report(tmp_path: Path, smtp) -> None:
    recorder, port = smtp
    root = make_project(tmp_path, port).root
    assert send(root, "alpha")[0] == 0 and send(root, "beta")[0] == 0
    assert {c: [sorted(r) for r, _ in got] for c, got in recorder.by_client().items()} == {
        "alpha": [["dana@provider.example", "ops@alpha.example"]],
        "beta": [["dana@provider.example", "ops@beta.example"]],
    }


@pytest.mark.slow
def test_duplicate_client_ids_deliver_nothing(tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, port = smtp
    # the attack of the issue: alpha's file says it is beta, so "send alpha" mailed beta's report to alpha
    alpha = plan_yaml("alpha").replace("{id: alpha,", "{id: beta,")
    root = make_project(tmp_path, port, plans={"alpha": alpha}).root
    code, output = validate(root, monkeypatch)
    assert code == 2 and "client id 'beta' is also claimed by parameters/beta.yaml" in output

    code, output = send(root, "alpha")
    assert code == 2 and "client id 'beta' differs from the file name 'alpha.yaml'" in output
    code, output = send(root, "beta")  # beta's own plan is fine, but two files claim its id: nothing goes
    assert code == 1 and "unsafe" in output and "client id beta is also claimed by alpha.yaml" in output
    assert recorder.messages == []


def test_the_guard_alone_stops_duplicate_ids(tmp_path: Path, smtp) -> None:
    recorder, port = smtp
    alpha = plan_yaml("alpha").replace("{id: alpha,", "{id: beta,")
    make_project(tmp_path, port, plans={"alpha": alpha})

    [done] = send_client("alpha", Unchecked(tmp_path))
    assert done.status == "unsafe"
    assert "the plan file alpha.yaml says it is client beta" in done.error
    assert recorder.messages == []


@pytest.mark.slow
def test_another_clients_contact_receives_nothing(
    tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, port = smtp
    root = make_project(tmp_path, port, plans={"alpha": with_recipient("ops@beta.example")}).root
    code, output = validate(root, monkeypatch)
    assert code == 2
    assert "ops@beta.example is a contact of client beta (parameters/beta.yaml)" in output

    code, output = send(root, "alpha")  # send does not validate the other plans: the guard refuses
    assert code == 1 and "ops@beta.example is another client's contact" in output
    assert recorder.messages == []


@pytest.mark.slow
def test_an_address_at_another_clients_domain_receives_nothing(
    tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, port = smtp
    root = make_project(tmp_path, port, plans={"alpha": with_recipient("kim@beta.example")}).root
    code, output = validate(root, monkeypatch)
    assert code == 2
    assert "the domain of kim@beta.example belongs to client beta (parameters/beta.yaml)" in output

    code, output = send(root, "alpha")
    assert code == 1 and "the domain of kim@beta.example belongs to another client" in output
    assert recorder.messages == []


@pytest.mark.slow
def test_a_domain_declared_by_another_client_is_theirs(
    tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, port = smtp
    # beta declares its domain; alpha's new contact is at a subdomain of it
    beta = plan_yaml("beta").replace(
        "name: Beta Orchards Ltd}", "name: Beta Orchards Ltd, domains: [beta.example]}"
    )
    root = make_project(
        tmp_path, port, plans={"beta": beta, "alpha": with_recipient("kim@eu.beta.example")}
    ).root
    assert validate(root, monkeypatch)[0] == 2
    code, output = send(root, "alpha")
    assert code == 1 and "the domain of kim@eu.beta.example belongs to another client" in output
    assert recorder.messages == []


@pytest.mark.slow
def test_with_client_domains_an_address_outside_them_is_refused(
    tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, port = smtp
    alpha = with_recipient("jamie@gmail.com").replace(
        "name: Alpha Freight Group}", "name: Alpha Freight Group, domains: [alpha.example]}"
    )
    root = make_project(tmp_path, port, plans={"alpha": alpha}).root
    code, output = validate(root, monkeypatch)
    assert code == 2
    assert (
        "people[3].email: jamie@gmail.com is not in the client's domains (alpha.example); a client-side "
        "address must be in client.domains"
    ) in output

    assert send(root, "alpha")[0] == 2  # the plan alone is invalid
    [done] = send_client("alpha", Unchecked(root))  # and the guard refuses it on its own
    assert done.status == "unsafe"
    assert "jamie@gmail.com is not in the client's domains (alpha.example)" in done.error
    assert recorder.messages == []


@pytest.mark.slow
def test_a_public_mail_domain_belongs_to_no_client(
    tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, port = smtp
    beta = plan_yaml("beta", STRANGER % "sam.beta@gmail.com")
    root = make_project(
        tmp_path, port, plans={"beta": beta, "alpha": with_recipient("jo.alpha@gmail.com")}
    ).root
    code, output = validate(root, monkeypatch)
    assert code == 0, output
    assert send(root, "alpha")[0] == 0
    [(rcpt, _)] = recorder.received()
    assert sorted(rcpt) == ["dana@provider.example", "jo.alpha@gmail.com", "ops@alpha.example"]


def test_validate_warns_when_an_emailing_plan_has_no_domains(tmp_path: Path, smtp, monkeypatch) -> None:
    _, port = smtp
    root = make_project(tmp_path, port).root
    code, output = validate(root, monkeypatch)
    assert code == 0
    assert (
        "parameters/alpha.yaml:1:1: client: warning: the plan e-mails reports but declares no "
        "client.domains; list the client's e-mail domains so that an address outside them is refused"
    ) in output
    alpha = plan_yaml("alpha").replace(
        "name: Alpha Freight Group}", "name: Alpha Freight Group, domains: [alpha.example]}"
    )
    (root / "parameters" / "alpha.yaml").write_text(alpha, encoding="utf-8")
    code, output = validate(root, monkeypatch)
    assert code == 0 and "alpha.yaml:1:1: client: warning" not in output
