"""The pure rules of certificates, and their SQL forms held to them on real rows."""

import datetime as dt
import itertools

import pytest

from duecourse.certificates.domain import (
    covers,
    format_number,
    invalid_reason_of,
    invalid_since,
    is_valid,
    listed_fragment,
    new_code,
    requirements_key,
)
from duecourse.certificates.models import Certificate
from duecourse.certificates.selectors import invalid_filter, status_expression, valid_filter
from duecourse.certificates.tests.conftest import START, complete, item, make_config

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
MOMENTS = [None, NOW - dt.timedelta(days=1), NOW, NOW + dt.timedelta(days=1)]


@pytest.mark.django_db
def test_the_sql_forms_match_the_rule(admin, tenant, make_person, courses):
    people = [make_person(tenant) for _ in range(len(MOMENTS) ** 2)]
    rule = make_config(admin, people, [item(courses[0])])
    complete(admin, people[0], courses[0], START)  # one issued the usual way, then every combination
    expected = {}
    for person, (invalidated_at, valid_until) in zip(people, itertools.product(MOMENTS, MOMENTS), strict=True):
        cert = Certificate.objects.filter(person=person).first() or Certificate.objects.create(
            tenant=tenant,
            person=person,
            rule=rule,
            number=f"T-{person.pk}",
            code=f"c{person.pk}",
            title="t",
            issued_at=START,
        )
        Certificate.objects.filter(pk=cert.pk).update(invalidated_at=invalidated_at, valid_until=valid_until)
        expected[cert.pk] = is_valid(invalidated_at=invalidated_at, valid_until=valid_until, now=NOW)
    valid = set(Certificate.objects.filter(valid_filter(NOW)).values_list("pk", flat=True))
    invalid = set(Certificate.objects.filter(invalid_filter(NOW)).values_list("pk", flat=True))
    assert valid == {pk for pk, ok in expected.items() if ok}
    assert invalid == {pk for pk, ok in expected.items() if not ok}
    statuses = dict(Certificate.objects.annotate(s=status_expression(NOW)).values_list("pk", "s"))
    assert statuses == {pk: "valid" if ok else "invalid" for pk, ok in expected.items()}
    assert sum(expected.values()) == 2  # not invalidated, and valid_until none or tomorrow


def test_since_when_and_why_an_invalid_one_is_invalid():
    later = NOW + dt.timedelta(days=1)
    assert invalid_since(invalidated_at=None, valid_until=later, now=NOW) is None
    assert invalid_since(invalidated_at=None, valid_until=NOW, now=NOW) == NOW
    assert invalid_reason_of(invalidated_at=None, invalid_reason=None, valid_until=NOW, now=NOW) == "expired"
    assert invalid_reason_of(invalidated_at=NOW, invalid_reason="revoked", valid_until=later, now=NOW) == "revoked"
    assert invalid_reason_of(invalidated_at=None, invalid_reason=None, valid_until=None, now=NOW) is None


def test_numbers_codes_and_listed_requirements():
    assert format_number(42) == "CERT-000042"
    codes = {new_code() for _ in range(100)}
    assert len(codes) == 100 and all(
        len(code) == 32 and code.replace("-", "").replace("_", "").isalnum() for code in codes
    )
    key = requirements_key([("path", 7), ("course", 3), ("course", 3)])
    assert key == "|course:3|path:7|"
    assert listed_fragment("course", 3) in key and listed_fragment("course", 30) not in key
    assert covers(key, [("course", 3)]) and covers(key, [])
    assert not covers(key, [("course", 3), ("skill", 1)])
