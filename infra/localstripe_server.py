"""localstripe (the Stripe emulator of the local stack), with the gaps the
payment flows meet covered, the way infra/moto_server.py covers moto's.

localstripe is GPL: it runs as its own server from its own virtualenv
(.local/localstripe, installed by infra/setup.sh) and is never linked into
the product. This module only imports it and patches it at run time. Each
patch below is tested through the HTTP API in tests/api/stripe_emulator.rs,
and the README lists every gap.

1. Accounts. Every secret key (`sk_test_…`) is its own Stripe account: the
   objects and events it creates are its own, `GET /v1/events` lists only
   them, and a webhook registered with an `account` (the secret key) gets
   only that account's events. Test stacks running side by side each have
   their own key, as each deployment has its own Stripe account.
2. Idempotency-Key. Stripe saves the answer of the first POST with a key
   and replays it for the same key (`Idempotent-Replayed: true`); the same
   key with other parameters is a 400 `idempotency_error`; a request while
   the first is still running is a 409. localstripe ignored the header.
3. PaymentIntents: `transfer_group`, `description` and
   `statement_descriptor_suffix` are accepted and kept; confirming with a
   `payment_method` (what Stripe.js and the mobile SDKs send, authorised by
   the publishable key and the client_secret) works, also again after a
   declined card; `payment_intent.requires_action` and
   `payment_intent.canceled` are emitted.
4. Refunds emit `charge.refunded` (the charge with its refunds); a refund
   carries its `payment_intent`.
5. Disputes: `POST /_config/disputes {charge}` opens one the way a card
   holder would, emitting `charge.dispute.created`.
6. Test cards with Stripe's own names: `pm_card_chargeDeclined` (declined
   when charged), `pm_card_authenticationRequired` and
   `pm_card_threeDSecure2Required` (3-D Secure: requires_action, completed
   with `POST /v1/payment_intents/{id}/_authenticate`).
7. Webhook delivery is retried, like Stripe's, while the endpoint fails
   (here after 1, 2, 4, … seconds, at most `--webhook-attempts` times);
   `POST /_config/drop {object}` drops every delivery about one object (a
   webhook that never arrives, for the tests of the scheduled event listing).
8. Faults: `POST /_config/faults {account, rate}` makes that share of the
   account's API calls fail: half before anything happens (429 or 500),
   half after the work was done (a 500 instead of the answer, as when a
   connection breaks), for the reliability tests.
9. State lives in memory: localstripe pickled its whole store to
   /tmp/localstripe.pickle after every write (slower with every object,
   and shared by every localstripe on the machine).

Not covered (the flows of today do not call them): Connect accounts, account
links, transfers and reversals; expiring authorizations (localstripe has no
clock; the platform captures at once anyway).

Usage: localstripe_server.py [--port 8420] [--webhook-attempts 8]
"""
import argparse
import asyncio
import contextvars
import hashlib
import json
import logging
import random
import socket

import aiohttp
from aiohttp import web

import localstripe.resources as res
import localstripe.server as srv
import localstripe.webhooks as hooks
from localstripe.errors import UserError

# 9. In memory only.
res.Store.try_load_from_disk = lambda self: None
res.Store.dump_to_disk = lambda self: None

# 1. Accounts ---------------------------------------------------------------
_account = contextvars.ContextVar('account', default=None)

_init = res.StripeObject.__init__


def _object_init(self, id=None):
    _init(self, id)
    if not isinstance(self, res.List):
        self._account = _account.get()


res.StripeObject.__init__ = _object_init

_event_init = res.Event.__init__


def _init_event(self, type, data):
    _event_init(self, type, data)
    _init_event.seq += 1
    self._seq = _init_event.seq
    # An event belongs to the account of its object (a confirmation sent
    # with the publishable key has no account of its own).
    self._account = getattr(data, '_account', None) or _account.get()


_init_event.seq = 0
res.Event.__init__ = _init_event

_list_events = res.Event._api_list_all.__func__


@classmethod
def _events_of_account(cls, url, **kwargs):
    li = _list_events(cls, url, **kwargs)
    mine = _account.get()
    li._list = [e for e in li._list if getattr(e, '_account', None) == mine]
    # Newest first, as Stripe lists events.
    li._list.sort(key=lambda e: e._seq, reverse=True)
    return li


res.Event._api_list_all = _events_of_account


def _secret_key(request):
    return srv.get_api_key(request)


# 7. Webhooks: per account, retried, droppable -----------------------------
WEBHOOKS = {}
DROPPED = set()
ATTEMPTS = 8


async def _deliver(hook, event, payload):
    logger = logging.getLogger('aiohttp.access')
    delay = 1
    for attempt in range(1, ATTEMPTS + 1):
        signed = b'%d.%s' % (event.created, payload)
        signature = hooks.hmac.new(hook['secret'].encode('utf-8'), signed, hashlib.sha256).hexdigest()
        headers = {
            'Content-Type': 'application/json; charset=utf-8',
            'Stripe-Signature': 't=%d,v1=%s' % (event.created, signature),
        }
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(hook['url'], data=payload, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=30)) as r:
                    if 200 <= r.status < 300:
                        logger.info('webhook %s %s delivered (attempt %d)', event.type, event.id, attempt)
                        return
                    logger.info('webhook %s %s: %d (attempt %d)', event.type, event.id, r.status, attempt)
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            logger.info('webhook %s %s failed: %s (attempt %d)', event.type, event.id, e, attempt)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30)


def _about(event):
    obj = event.data.get('object') or {}
    ids = {obj.get('id'), obj.get('payment_intent'), obj.get('charge')}
    if isinstance(obj.get('payment_intent'), dict):
        ids.add(obj['payment_intent'].get('id'))
    return {i for i in ids if isinstance(i, str)}


async def _send_webhook(event):
    await asyncio.sleep(0.2)
    if _about(event) & DROPPED:
        logging.getLogger('aiohttp.access').info('webhook %s %s dropped', event.type, event.id)
        return
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode('utf-8')
    for hook in list(WEBHOOKS.values()):
        if hook['account'] is not None and hook['account'] != getattr(event, '_account', None):
            continue
        if hook['events'] is not None and event.type not in hook['events']:
            continue
        asyncio.ensure_future(_deliver(hook, event, payload))


def _schedule(event):
    asyncio.ensure_future(_send_webhook(event))


hooks.schedule_webhook = _schedule
res.schedule_webhook = _schedule


async def config_webhook(request):
    data = await srv.get_post_data(request) or {}
    url, secret, events = data.get('url'), data.get('secret'), data.get('events')
    if not url or not secret or not str(url).startswith('http'):
        raise UserError(400, 'Bad request')
    if events is not None and type(events) is not list:
        raise UserError(400, 'Bad request')
    WEBHOOKS[request.match_info['id']] = {
        'url': url, 'secret': secret, 'events': events, 'account': data.get('account'),
    }
    return web.Response()


async def config_drop(request):
    data = await srv.get_post_data(request) or {}
    if not isinstance(data.get('object'), str):
        raise UserError(400, 'Bad request')
    DROPPED.add(data['object'])
    return web.Response()


# 8. Faults -----------------------------------------------------------------
FAULTS = {}


async def config_faults(request):
    data = await srv.get_post_data(request) or {}
    try:
        rate = float(data.get('rate'))
        assert isinstance(data.get('account'), str) and 0 <= rate <= 1
    except (TypeError, ValueError, AssertionError):
        raise UserError(400, 'Bad request')
    FAULTS[data['account']] = rate
    return web.Response()


def _fault(status, message):
    return srv.json_response({'error': {'type': 'api_error', 'message': 'injected fault: ' + message}}, status=status)


# 2. Idempotency ------------------------------------------------------------
SAVED = {}
RUNNING = set()


def _account_of_intent(path):
    """A call with the publishable key (Stripe.js confirming, 3-D Secure)
    acts for the account of the PaymentIntent it names."""
    parts = path.split('/')
    if len(parts) > 3 and parts[1:3] == ['v1', 'payment_intents']:
        obj = res.store.get('payment_intent:' + parts[3])
        return getattr(obj, '_account', None)
    return None


@web.middleware
async def account_middleware(request, handler):
    key = _secret_key(request)
    _account.set(key or _account_of_intent(request.path))
    rate = FAULTS.get(key, 0) if request.path.startswith('/v1/') else 0
    after = False
    if rate and random.random() < rate:
        if random.random() < 0.5:
            return _fault(random.choice([429, 500]), 'before')
        after = True
    idem = request.headers.get('Idempotency-Key') if request.method == 'POST' else None
    if idem is None:
        response = await handler(request)
    else:
        body = await request.read()
        scope = (key, idem)
        fingerprint = hashlib.sha256(request.path.encode() + b'\n' + body).hexdigest()
        saved = SAVED.get(scope)
        if saved is not None:
            if saved['fingerprint'] != fingerprint:
                return srv.json_response({'error': {
                    'type': 'idempotency_error',
                    'message': 'Keys for idempotent requests can only be used with the same '
                               'parameters they were first used with.'}}, status=400)
            response = web.Response(status=saved['status'], body=saved['body'],
                                    content_type='application/json',
                                    headers={'Idempotent-Replayed': 'true'})
        elif scope in RUNNING:
            return srv.json_response({'error': {
                'type': 'idempotency_error',
                'message': 'There is currently another in-progress request using this Idempotent Key.'}},
                status=409)
        else:
            RUNNING.add(scope)
            try:
                response = await handler(request)
            finally:
                RUNNING.discard(scope)
            if response.status < 500:
                SAVED[scope] = {'fingerprint': fingerprint, 'status': response.status, 'body': response.body}
                response.headers['Idempotency-Key'] = idem
    if after:
        return _fault(500, 'after')
    return response


@web.middleware
async def errors_as_stripe(request, handler):
    try:
        return await handler(request)
    except UserError as e:
        return e.to_response()


# 3. PaymentIntents ---------------------------------------------------------
_pi_init = res.PaymentIntent.__init__
_KEPT = ('transfer_group', 'description', 'statement_descriptor_suffix')


def _init_payment_intent(self, **data):
    kept = {k: data.pop(k, None) for k in _KEPT}
    _pi_init(self, **data)
    for k, v in kept.items():
        setattr(self, k, v)


res.PaymentIntent.__init__ = _init_payment_intent

_confirm = res.PaymentIntent._confirm


def _confirm_and_tell(self, on_failure_now):
    _confirm(self, on_failure_now)
    if self.next_action:
        res.schedule_webhook(res.Event('payment_intent.requires_action', self))


res.PaymentIntent._confirm = _confirm_and_tell


@classmethod
def _api_confirm(cls, id, payment_method=None, client_secret=None, **kwargs):
    kwargs.pop('return_url', None)
    kwargs.pop('use_stripe_sdk', None)
    if kwargs:
        raise UserError(400, 'Unexpected ' + ', '.join(kwargs.keys()))
    obj = cls._api_retrieve(id)
    if _account.get() is None and client_secret != obj.client_secret:
        raise UserError(401, 'Unauthorized')
    if payment_method is not None:
        if obj.status not in ('requires_payment_method', 'requires_confirmation'):
            raise UserError(400, 'This PaymentIntent cannot be confirmed in status ' + obj.status)
        pm = res.PaymentMethod._api_retrieve(payment_method)
        obj.payment_method = pm.id
        obj.latest_charge = None
    if obj.status != 'requires_confirmation':
        raise UserError(400, 'This PaymentIntent cannot be confirmed in status ' + obj.status)
    obj._confirm(on_failure_now=obj._report_failure)
    return obj


res.PaymentIntent._api_confirm = _api_confirm


@classmethod
def _api_cancel(cls, id, cancellation_reason=None, **kwargs):
    if kwargs:
        raise UserError(400, 'Unexpected ' + ', '.join(kwargs.keys()))
    obj = cls._api_retrieve(id)
    if obj.status not in ('requires_payment_method', 'requires_capture', 'requires_confirmation',
                          'requires_action'):
        raise UserError(400, 'You cannot cancel this PaymentIntent because it has a status of ' + obj.status)
    obj._canceled = True
    obj.next_action = None
    obj.cancellation_reason = cancellation_reason
    res.schedule_webhook(res.Event('payment_intent.canceled', obj))
    return obj


res.PaymentIntent._api_cancel = _api_cancel

# 4. Refunds ----------------------------------------------------------------
_refund_init = res.Refund.__init__


def _init_refund(self, charge=None, payment_intent=None, amount=None, metadata=None, reason=None, **kwargs):
    _refund_init(self, charge=charge, payment_intent=payment_intent, amount=amount, metadata=metadata, **kwargs)
    charge_obj = res.Charge._api_retrieve(self.charge)
    self.payment_intent = charge_obj.payment_intent
    self.reason = reason
    res.schedule_webhook(res.Event('charge.refunded', charge_obj))


res.Refund.__init__ = _init_refund


# 5. Disputes ---------------------------------------------------------------
class Dispute(res.StripeObject):
    object = 'dispute'
    _id_prefix = 'dp_'

    def __init__(self, charge=None, reason='fraudulent'):
        charge_obj = res.Charge._api_retrieve(charge)
        super().__init__()
        self._account = getattr(charge_obj, '_account', None)
        self.charge = charge_obj.id
        self.payment_intent = charge_obj.payment_intent
        self.amount = charge_obj.amount
        self.currency = charge_obj.currency
        self.reason = reason
        self.status = 'needs_response'


async def config_dispute(request):
    data = await srv.get_post_data(request) or {}
    if not isinstance(data.get('charge'), str):
        raise UserError(400, 'Bad request')
    dispute = Dispute(charge=data['charge'], reason=data.get('reason') or 'fraudulent')
    res.schedule_webhook(res.Event('charge.dispute.created', dispute))
    return srv.json_response(dispute._export())


# 6. Test cards with Stripe's names -----------------------------------------
_canonical = res.PaymentMethod._try_get_canonical_test_article.__func__
_CARDS = {
    'pm_card_chargeDeclined': '4000000000000341',
    'pm_card_visa_chargeDeclined': '4000000000000341',
    'pm_card_authenticationRequired': '4000002760003184',
    'pm_card_threeDSecure2Required': '4000000000003220',
    'pm_card_mastercard': '5555555555554444',
}


@classmethod
def _test_card(cls, id):
    if id in _CARDS:
        return res.PaymentMethod(type='card', card=dict(number=_CARDS[id], exp_month='12', exp_year='2034',
                                                        cvc='123'))
    return _canonical(cls, id)


res.PaymentMethod._try_get_canonical_test_article = _test_card

# The publishable key may confirm a PaymentIntent (with its client_secret).
_auth = srv.auth_middleware


@web.middleware
async def auth_middleware(request, handler):
    import re
    if request.method == 'POST' and re.match(r'^/v1/payment_intents/\w+/confirm$', request.path) \
            and srv.get_api_key(request) is None:
        data = await srv.get_post_data(request, remove_auth=False)
        if isinstance(data, dict) and str(data.get('key', '')).startswith('pk_'):
            return await handler(request)
    return await _auth(request, handler)


def main():
    global ATTEMPTS
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8420)
    parser.add_argument('--webhook-attempts', type=int, default=8)
    args = parser.parse_args()
    ATTEMPTS = args.webhook_attempts
    app = web.Application(middlewares=[account_middleware, errors_as_stripe, auth_middleware])
    app.on_response_prepare.append(srv.add_cors_headers)
    # localstripe's routes captured the methods patched above when it was
    # imported: those two are registered again with the patched ones.
    patched = {
        ('POST', '/v1/payment_intents/{id}/confirm'): res.PaymentIntent._api_confirm,
        ('POST', '/v1/payment_intents/{id}/cancel'): res.PaymentIntent._api_cancel,
    }
    for (method, path), func in patched.items():
        app.router.add_route(method, path, srv.api_extra(func, path))
    for route in srv.app.router.routes():
        if route.resource is None:
            continue
        info = route.resource.get_info()
        path = info.get('path') or info.get('formatter')
        if path.startswith('/_config/') or (route.method, path) in patched:
            continue
        app.router.add_route(route.method, path, route.handler)
    app.router.add_post('/_config/webhooks/{id}', config_webhook)
    app.router.add_post('/_config/drop', config_drop)
    app.router.add_post('/_config/faults', config_faults)
    app.router.add_post('/_config/disputes', config_dispute)
    logger = logging.getLogger('aiohttp.access')
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    web.run_app(app, sock=sock, access_log=logger, print=None)


if __name__ == '__main__':
    main()
