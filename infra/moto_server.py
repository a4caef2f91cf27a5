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
never see a later record (events were lost behind it). The patch below keeps
the shard object and gives it the restored records. And GetShardIterator
passes AT_/AFTER_SEQUENCE_NUMBER through as text, which then fails; the patch
makes it a number. Both are checked against the pinned moto (infra/setup.sh).

Usage: moto_server.py [--host 127.0.0.1] [--port 5000]
"""
import argparse
import os
import threading

from werkzeug.serving import run_simple
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

_transact = DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    shards = {name: t.stream_shard for name, t in self.tables.items() if getattr(t, "stream_shard", None) is not None}
    try:
        return _transact(self, transact_items)
    finally:
        for name, shard in shards.items():
            table = self.tables.get(name)
            if table is not None and table.stream_shard is not None and table.stream_shard is not shard:
                shard.items = table.stream_shard.items
                shard.table = table
                table.stream_shard = shard


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
