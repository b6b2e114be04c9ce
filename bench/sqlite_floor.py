#!/usr/bin/env python3
"""What SQLite alone needs to write what `mutualis import decp` writes.

    python3 bench/sqlite_floor.py IMPORTED.db [--batch N]

IMPORTED.db is a database `mutualis import decp` filled. The script reads every row of the
tables an import writes into memory first (untimed), then writes them into a fresh database
with the same schema (read from IMPORTED.db, indexes included) and the same settings as
Mutualis (WAL, synchronous=NORMAL, 64 MB page cache), with Python's sqlite3 `executemany`,
committing every N contracts (default: all in one transaction). No JSON is read, no record
checked, nothing hashed: the time printed is SQLite's own cost of this schema, a floor under
any import that writes it. It also times the contracts table without its indexes, to show
what they cost.
"""
import argparse
import os
import sqlite3
import tempfile
import time

TABLES = ["organisations", "establishments", "contracts", "contract_suppliers"]


def fresh(path, schema, with_indexes):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA cache_size=-65536")
    for kind, sql in schema:
        if kind == "table" or with_indexes:
            db.execute(sql)
    return db


def write(db, rows, batch):
    started = time.perf_counter()
    db.execute("BEGIN")
    for table in TABLES:
        if table not in rows or not rows[table]:
            continue
        values = rows[table]
        insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})"
        step = batch if table == "contracts" and batch else len(values)
        for at in range(0, len(values), step):
            db.executemany(insert, values[at:at + step])
            if table == "contracts" and batch:
                db.execute("COMMIT")
                db.execute("BEGIN")
    db.execute("COMMIT")
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("imported")
    parser.add_argument("--batch", type=int, default=0, help="contracts per transaction")
    args = parser.parse_args()

    source = sqlite3.connect(args.imported)
    schema = [
        (kind, sql)
        for kind, name, sql in source.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND tbl_name IN (%s) ORDER BY type DESC" % ", ".join("?" * len(TABLES)),
            TABLES,
        )
    ]
    rows = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
    counts = ", ".join(f"{t} {len(rows[t]):,}" for t in TABLES)

    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "floor.db")
        bare = write(fresh(path, schema, False), {"contracts": rows["contracts"]}, args.batch)
        full = write(fresh(path, schema, True), rows, args.batch)
        size = os.path.getsize(path) / 1e6
    batch = f"{args.batch:,} contracts a transaction" if args.batch else "one transaction"
    print(f"rows: {counts}; {batch}")
    print(f"contracts alone, no index: {bare:.2f} s")
    print(f"every table, every index (the import's writing): {full:.2f} s, {size:,.0f} MB")


if __name__ == "__main__":
    main()
