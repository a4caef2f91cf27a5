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
long test runs. The patch below copies only the items a transaction names,
keeps the table and its one shard object, and on rollback restores those
items and cuts off the records of the undone writes. And GetShardIterator
passes AT_/AFTER_SEQUENCE_NUMBER through as text, which then fails; the patch
makes it a number. Both are checked against the pinned moto (infra/setup.sh).

It also answers GET /_handoff/messages: the emails (SES), SMS and push
messages (SNS) moto has accepted, read straight from its backends. moto's own
/moto-api/data.json dumps every object it has ever made (each table item and
stream record included) and cost more with every test; the local mailbox reads
this instead. For the same reason moto's objects are not tracked for that dump
(only S3's, whose reset uses the list).

Usage: moto_server.py [--host 127.0.0.1] [--port 5000] [--exit-with-parent] [--quiet]
"""
import argparse
import copy
import json
import os
import threading

from werkzeug.serving import run_simple
import moto.dynamodb.models as _dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table as _Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.core.common_models import BaseModel


def _track_s3_only(cls, *args, **kwargs):
    instance = object.__new__(cls)
    if cls.__module__.startswith("moto.s3"):
        cls.instances_tracked.append(instance)
    return instance


BaseModel.__new__ = _track_s3_only

_transact = DynamoDBBackend.transact_write_items


class _NoTableCopy:
    """moto's TransactWriteItems backs up each table it touches with
    copy.deepcopy (stream shard, every record ever written, included) and
    puts the copy back when the transaction fails: its cost grows with the
    table, and a long test run slowed to timeouts. During a transaction a
    table is not copied at all (moto's restore puts the same table back);
    transact_write_items below keeps a copy of the items the transaction
    names instead, and restores those and cuts the undone writes' stream
    records off the shard on rollback."""

    active = False

    def deepcopy(self, obj, memo=None):
        if self.active and isinstance(obj, _Table):
            return obj
        return copy.deepcopy(obj, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


_copier = _NoTableCopy()
_dynamodb_models.copy = _copier


def _touched(self, transact_items):
    """(table, hash key, range key) of every item a transaction names."""
    out = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = self.tables.get(op.get("TableName"))
        if table is None:
            continue
        attrs = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr not in attrs:
            continue
        h = DynamoType(attrs[table.hash_key_attr])
        r = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr and table.range_key_attr in attrs else None
        out.append((table, h, r))
    return out


def _item(table, h, r):
    try:
        return table.items[h][r] if table.has_range_key else table.items.get(h)
    except KeyError:
        return None


def _restore(table, h, r, item):
    if table.has_range_key:
        if item is None:
            table.items.get(h, {}).pop(r, None)
        else:
            table.items[h][r] = item
    elif item is None:
        table.items.pop(h, None)
    else:
        table.items[h] = item


def transact_write_items(self, transact_items):
    touched = _touched(self, transact_items)
    before = [(t, h, r, copy.deepcopy(_item(t, h, r))) for t, h, r in touched]
    shards = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, _, _ in touched if t.stream_shard is not None}
    _copier.active = True
    try:
        return _transact(self, transact_items)
    except Exception:
        for t, h, r, item in reversed(before):
            _restore(t, h, r, item)
        for shard, kept in shards.values():
            del shard.items[kept:]
        raise
    finally:
        _copier.active = False


_get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator


def get_shard_iterator(self, arn, shard_id, shard_iterator_type, sequence_number=None):
    number = int(sequence_number) if sequence_number is not None else None
    return _get_shard_iterator(self, arn, shard_id, shard_iterator_type, number)


DynamoDBBackend.transact_write_items = transact_write_items
DynamoDBStreamsBackend.get_shard_iterator = get_shard_iterator


def _backends(backend_dict):
    for regions in list(backend_dict.values()):
        for backend in list(regions.values()):
            yield backend


def messages():
    """Every email, SMS and push message accepted so far, oldest first."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    mail = []
    for b in _backends(ses_backends):
        for m in b.sent_messages:
            if type(m).__name__ == "Message":
                mail.append({"source": m.source, "destinations": m.destinations, "subject": m.subject, "body": m.body})
    sms, push = [], []
    for b in _backends(sns_backends):
        for message_id, (phone, text) in b.sms_messages.items():
            sms.append({"message_id": message_id, "phone_number": phone, "message": text})
        for e in b.platform_endpoints.values():
            push.append({"arn": e.arn, "token": e.token, "enabled": e.enabled, "messages": dict(e.messages)})
    return {"mail": mail, "sms": sms, "push": push}


_STATS = {}


def _operation(environ):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[-1]
    path = environ.get("PATH_INFO", "")
    return f'{environ.get("REQUEST_METHOD")} {path.split("/")[1] if path.count("/") > 1 else path}'


def _write_stats(path):
    import time

    while True:
        time.sleep(5)
        with open(path + ".tmp", "w") as f:
            json.dump(dict(_STATS), f)
        os.replace(path + ".tmp", path)


def serialised(app):
    lock = threading.Lock()
    stats_dir = os.environ.get("HANDOFF_MOTO_STATS_DIR")
    if stats_dir:
        # Measuring: how many requests of each operation, and the seconds spent in them.
        import time

        os.makedirs(stats_dir, exist_ok=True)
        path = os.path.join(stats_dir, f"{os.getpid()}.json")
        threading.Thread(target=_write_stats, args=(path,), daemon=True).start()
        inner = app

        def app(environ, start_response):
            t = time.process_time()
            try:
                return inner(environ, start_response)
            finally:
                op = _operation(environ)
                n, secs = _STATS.get(op, (0, 0.0))
                _STATS[op] = (n + 1, secs + time.process_time() - t)

    def wrapper(environ, start_response):
        if environ.get("PATH_INFO") == "/_handoff/messages":
            with lock:
                body = json.dumps(messages()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        with lock:
            body = app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()

    return wrapper


def _exit_with(parent):
    """Ends this server when the process that started it has gone (a test
    run that was killed leaves no emulator behind)."""
    import time

    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--exit-with-parent", action="store_true")
    p.add_argument("--quiet", action="store_true", help="log errors only, not every request")
    a = p.parse_args()
    if a.quiet:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if a.exit_with_parent:
        threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    os.environ.setdefault("MOTO_PORT", str(a.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(a.host, a.port, serialised(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
