#!/usr/bin/env python3
"""The analytics benchmark's reference: the same queries on the same data in DuckDB.

Usage: duckdb-bench.py CSV STREAM ROUNDS
CSV holds `stream,t,v` (stream index, phenomenon time in microseconds UTC, value). Prints one
JSON object: per query the median and best wall time in milliseconds over ROUNDS runs (after
one warm-up run), and checksums of the answers for the Swift side to compare with.
"""
import json
import statistics
import sys
import time

import duckdb

csv, stream, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = duckdb.connect()
con.execute("SET TimeZone = 'Europe/Berlin'")
started = time.perf_counter()
con.execute(
    f"""CREATE TABLE obs AS SELECT stream::INTEGER AS stream, t::BIGINT AS t,
        make_timestamptz(t) AS ts, v::DOUBLE AS v
        FROM read_csv('{csv}', header = true, columns = {{'stream': 'INTEGER', 't': 'BIGINT', 'v': 'DOUBLE'}})"""
)
load_ms = (time.perf_counter() - started) * 1000
rows = con.execute("SELECT count(*) FROM obs").fetchone()[0]

queries = {
    # Hourly average and 95th percentile (exact, "lower" rank like ours) of every stream.
    "hourly_all": """SELECT stream, time_bucket(INTERVAL 1 hour, ts) AS h, avg(v),
        quantile_disc(v, 0.95) FROM obs GROUP BY ALL""",
    # The same with DuckDB's approximate quantile (t-digest).
    "hourly_all_approx": """SELECT stream, time_bucket(INTERVAL 1 hour, ts) AS h, avg(v),
        approx_quantile(v, 0.95) FROM obs GROUP BY ALL""",
    # Daily (Berlin calendar days) average and 95th percentile of one stream.
    "daily_one": f"""SELECT date_trunc('day', ts) AS d, avg(v), quantile_disc(v, 0.95)
        FROM obs WHERE stream = {stream} GROUP BY ALL""",
    # The latest value of every stream.
    "latest": "SELECT stream, max(t), arg_max(v, t) FROM obs GROUP BY stream",
}
result = {"rows": rows, "load_ms": load_ms, "threads": con.execute(
    "SELECT current_setting('threads')").fetchone()[0], "queries": {}}
for name, sql in queries.items():
    answer = con.execute(sql).fetchall()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = con.execute(sql).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    summary = {"median_ms": statistics.median(times), "best_ms": min(times), "rows": len(answer)}
    if name in ("hourly_all", "hourly_all_approx", "daily_one"):
        summary["sum_avg"] = sum(row[-2] for row in answer)
        summary["sum_p95"] = sum(row[-1] for row in answer)
    if name == "latest":
        summary["latest"] = {str(row[0]): [row[1], row[2]] for row in answer}
    result["queries"][name] = summary
print(json.dumps(result))
