"""The benchmark's database helpers, shared by run_bench.py and history_bench.py.

Every connection is in autocommit: each statement is its own transaction, as a scheduled
archive call would be, and CREATE/DROP DATABASE and VACUUM can run on it.
"""
import psycopg2


def connect(dbname):
    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = True
    return conn


def run(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)


def first_row(conn, sql, args=None):
    """The statement's first row, or None when it returns no rows (or none at all)."""
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone() if cur.description else None


def scalar(conn, sql, args=None):
    return first_row(conn, sql, args)[0]


def recreate_database(db):
    """An empty database named `db` (dropped first if a stopped run left it)."""
    admin = connect("postgres")
    run(admin, f"DROP DATABASE IF EXISTS {db}")
    run(admin, f"CREATE DATABASE {db}")
    admin.close()


def drop_database(db):
    admin = connect("postgres")
    run(admin, f"DROP DATABASE {db}")
    admin.close()
