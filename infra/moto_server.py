"""moto server, answering one request at a time, with two stream fixes.

moto's TransactWriteItems deep-copies the whole table before it applies a
transaction and restores that copy when a condition fails. Under the threaded
server a concurrent request can change the table meanwhile: the copy fails
("dictionary changed size during iteration", a 500) or the restore silently
drops the other request's writes. We saw both as lost audit entries. One
request at a time removes the race; the local runner polls SQS without long
polling so no request holds the lock.

A failed transaction restores a deep copy of the table, stream shard
included: shard iterators taken before still read the old shard object and
never see a later record (events were lost behind it), and the copies (one
per item, each with the whole stream history) grew slow enough to time out
long test runs. The patch below copies each table once per transaction
without its shard, keeps the one shard object, and on rollback cuts off the
records of the undone writes. And GetShardIterator
passes AT_/AFTER_SEQUENCE_NUMBER through as text, which then fails; the patch
makes it a number. Both are checked against the pinned moto (infra/setup.sh).

Usage: moto_server.py [--host 127.0.0.1] [--port 5000]
"""
import argparse
import copy
import os
import threading

from werkzeug.serving import run_simple
import moto.dynamodb.models as _dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table as _Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

_transact = DynamoDBBackend.transact_write_items


class _CopyOnce:
    """moto's TransactWriteItems backs up each table before it writes, with
    copy.deepcopy, once per item of the transaction, stream shard (every
    stream record ever written) included: its cost grows with the table's
    history times the transaction's size, and a long test run slowed to
    timeouts. During a transaction this copies each table once and leaves
    the shard out (the copy shares the live shard); the records of undone
    writes are cut off the shard on rollback."""

    def __init__(self):
        self.cache = None

    def deepcopy(self, obj, memo=None):
        if self.cache is None or not isinstance(obj, _Table):
            return copy.deepcopy(obj, memo)
        hit = self.cache.get(id(obj))
        if hit is not None:
            return hit[0]
        shard = obj.stream_shard
        obj.stream_shard = None
        try:
            backup = copy.deepcopy(obj)
        finally:
            obj.stream_shard = shard
        backup.stream_shard = shard
        self.cache[id(obj)] = (backup, shard, len(shard.items) if shard is not None else 0)
        return backup

    def __getattr__(self, name):
        return getattr(copy, name)


_copier = _CopyOnce()
_dynamodb_models.copy = _copier


def transact_write_items(self, transact_items):
    _copier.cache = {}
    try:
        return _transact(self, transact_items)
    except Exception:
        for backup, shard, kept in _copier.cache.values():
            if shard is not None and self.tables.get(backup.name) is backup:
                del shard.items[kept:]
                shard.table = backup
        raise
    finally:
        _copier.cache = None


_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator


def get_shard_iterator(self, arn, shard_id, shard_iterator_type, sequence_number=None):
    number = int(sequence_number) if sequence_number is not None else None
    return _get_shard_iterator(self, arn, shard_id, shard_iterator_type, number)


DynamoDBBackend.transact_write_items = transact_write_items
DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator


def serialised(app):
    lock = threading.Lock()

    def wrapper(environ, start_response):
        with lock:
            body = app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()

    return wrapper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    a = p.parse_args()
    os.environ.setdefault("MOTO_PORT", str(a.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(a.host, a.port, serialised(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
