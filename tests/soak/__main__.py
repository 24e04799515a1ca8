"""Soak: the whole system at a steady load, disrupted again and again, then checked exactly (issue 24).

    ./dev soak [--minutes 10] [--rate 120] [--problems-per-minute 50] [--seed S]

On a fresh stack of its own, every service and the population stand-in run as processes. For
``--minutes`` the run sends registrations at ``--rate`` per second (default 120/s: half the
pipeline benchmark's end-to-end rate on two cores, bench/RESULTS.md). Among them come
``--problems-per-minute`` problems (default 50: what the people, inboxes and webhooks settle
beside that load on one local database and two cores; README "Soak"); the rest are clean records.
Meanwhile the schools, bureaus and the arbiter act on the problems that appear through the HTTP
API (attest with evidence, amend, delete with the leader, review, arbitrate, re-initiate), and two
province systems receive their webhooks. At moments drawn from the seed it kills (-9) every
service kind in turn and restarts it, restarts the broker and the database, stops the object store
for a few seconds and makes a webhook endpoint fail for a while. Poison messages go to every
consumed topic. A service process that ends on its own is started again, as a supervisor would,
and reported; partitions the local broker leaves to no consumer are given back by restarting it
(tests/soak/watchdog.py), and reported.

When everything has drained it prints each exact check with its count, the disruptions with
their times and the recovery after each, and exits 1 when any check fails. Recovery runs from a
disruption's start until indexing has resumed and a whole 5 s window has indexed registrations at
90 % of the rate sent. The same seed makes the same registrations and the same disruptions at the
same moments.
"""

import argparse
import asyncio
import logging
import os
import random
import sys
import time
from pathlib import Path

from . import plan
from .run import Soak

# registrations per second by default: half the pipeline benchmark's end-to-end rate on two cores
# (184–449/s in the runs of 2026-12-03, 275/s in the last; bench/RESULTS.md)
RATE = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(prog="./dev soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs (default 10)")
    parser.add_argument("--rate", type=float, default=RATE,
                        help=f"registrations per second (default {RATE:g}: half the pipeline's rate)")
    parser.add_argument("--problems-per-minute", type=float, default=plan.PROBLEMS_PER_MINUTE,
                        help=f"problems among them that people settle (default {plan.PROBLEMS_PER_MINUTE:g})")
    parser.add_argument("--seed", type=int, default=None, help="the run's seed (default: a new one, printed)")
    parser.add_argument("--drain-minutes", type=float, default=5.0,
                        help="how long to wait for the load to drain before checking anyway (default 5)")
    args = parser.parse_args()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the broker's restarts are planned: no noise
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    stack = Path(os.environ.get("XUEJI_STACK_DIR", ".local/soak-stack"))
    home = stack / "soak" / time.strftime("%Y%m%d-%H%M%S")
    soak = Soak(seed=seed, minutes=args.minutes, rate=args.rate,
                problems_per_minute=args.problems_per_minute, home=home,
                drain_seconds=args.drain_minutes * 60)
    sys.exit(0 if asyncio.run(soak.run()) else 1)


if __name__ == "__main__":
    main()
