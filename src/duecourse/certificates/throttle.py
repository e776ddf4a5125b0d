"""The rate limit of the public verification page: a counter per client and minute in the database,
so that every web process (and a restarted one) counts into the same bucket."""

import datetime as dt

from django.db import connection

from duecourse.certificates import limits
from duecourse.certificates.models import VerifyRateBucket

WINDOW = dt.timedelta(minutes=1)
KEEP = dt.timedelta(minutes=10)  # buckets older than this are pruned (`prune_verify_buckets`)


def window_start(now: dt.datetime) -> dt.datetime:
    return now.replace(second=0, microsecond=0)


def count_verify_request(client: str, *, now: dt.datetime) -> int:
    """Counts one request of `client` in the minute of `now` and returns the minute's count so far.
    One atomic upsert (SQLite ≥ 3.35 and PostgreSQL): concurrent requests never lose a count and never
    collide on the unique key."""
    table = connection.ops.quote_name(VerifyRateBucket._meta.db_table)
    start = connection.ops.adapt_datetimefield_value(window_start(now))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client, window_start, hits) VALUES (%s, %s, 1) "
            f"ON CONFLICT (client, window_start) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
            [client[:64], start],
        )
        (hits,) = cursor.fetchone()
    return int(hits)


def over_the_limit(client: str, *, now: dt.datetime) -> bool:
    return count_verify_request(client, now=now) > limits.VERIFY_REQUESTS_PER_MINUTE


def prune_verify_buckets(*, now: dt.datetime) -> int:
    """Removes the buckets of minutes long past; returns how many."""
    deleted, _ = VerifyRateBucket.objects.filter(window_start__lt=window_start(now) - KEEP).delete()
    return deleted
