"""Sessions ended by the service layer queue back-channel logouts (services/backchannel.py):
password changed elsewhere (`sessions.end_all_for`), a person disabled (by hand, or by
an import that no longer lists them)."""

from __future__ import annotations

from pathlib import Path

from schulhof.access.actors import OPERATOR
from schulhof.importers.pipeline import import_path
from schulhof.services import persons, sessions
from schulhof.services.runtime import Services
from schulhof.store import jobs as job_store
from schulhof.store.database import read_connection
from tests.pipeline.sisfiles import write_city
from tests.pipeline.test_sis_import import ACTOR, base_city, cp1252_safe, everyone
from tests.web.oidc_support import BACKCHANNEL, build_bench, register


def _queued(svc: Services) -> list[dict[str, object]]:
    with read_connection(svc.engine) as conn:
        return [j.params for j in job_store.list_page(conn) if j.kind == "oidc.backchannel_logout"]


def test_end_all_for_tells_the_clients_of_the_sessions_it_ended(svc: Services) -> None:
    bench = build_bench(svc)
    _, one = sessions.start(svc, bench.people.lina_id, address="x", must_change=False)
    _, two = sessions.start(svc, bench.people.lina_id, address="x", must_change=False)
    for s in (one, two):
        sessions.note_client(svc, s.sid, "oidc", bench.client_id,
                             {"sub": "s", "sid": f"c-{s.sid}", "iss": "https://idm"})  # fmt: skip
    assert sessions.end_all_for(svc, bench.people.lina_id, except_sid=two.sid) == [one.sid]
    assert [(p["sid"], p["issuer"]) for p in _queued(svc)] == [(f"c-{one.sid}", "https://idm")]


def test_disable_person_ends_the_sessions_once(svc: Services) -> None:
    bench = build_bench(svc)
    _, session = sessions.start(svc, bench.people.lina_id, address="x", must_change=False)
    sessions.note_client(svc, session.sid, "oidc", bench.client_id,
                         {"sub": "s", "sid": "c", "iss": "https://idm"})  # fmt: skip
    sessions.note_client(svc, session.sid, "saml", "https://sp.example", {})
    persons.disable_person(svc, OPERATOR, bench.people.lina)
    persons.disable_person(svc, OPERATOR, bench.people.lina)  # already disabled: nothing new
    assert sessions.by_sid(svc, session.sid) is None
    assert len(_queued(svc)) == 1


def test_an_import_that_disables_a_leaver_ends_their_sessions(
    svc: Services, tmp_path: Path
) -> None:
    city = cp1252_safe(base_city())
    import_path(svc, ACTOR, "sis", write_city(tmp_path / "day1", city))
    client_id, _ = register(svc, "Lernplattform", backchannel=BACKCHANNEL)
    anna = everyone(svc)["Anna Müller"].person
    _, session = sessions.start(svc, anna.id, address="x", must_change=False)
    sessions.note_client(svc, session.sid, "oidc", client_id,
                         {"sub": anna.id, "sid": session.sid, "iss": "https://idm"})  # fmt: skip
    city[0].students = [s for s in city[0].students if s.given != "Anna"]
    report = import_path(svc, ACTOR, "sis", write_city(tmp_path / "day2", city))
    assert report.summary()["disabled"] == 1
    assert sessions.by_sid(svc, session.sid) is None
    assert [p["client_id"] for p in _queued(svc)] == [client_id]
