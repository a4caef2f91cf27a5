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
   holder would, emitting `charge.dispute.created`; `POST
   /_config/disputes/{id}/close {status: won|lost}` is the bank deciding,
   emitting `charge.dispute.closed` (a decided dispute is not decided
   again: 400).
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

10. Connect (payouts to travelers and couriers), which localstripe lacks:
   - `POST /v1/accounts` (Express, Standard or Custom; country, email,
     capabilities, metadata) and `GET /v1/accounts/{id}`: a new account
     cannot receive transfers until onboarded;
   - `POST /v1/account_links` (account_onboarding): a single-use link,
     valid 5 minutes. Opening it (`GET /_connect/onboard/{link}`) is the
     person finishing Stripe's onboarding: the account's details are
     submitted, charges, payouts and the transfers capability enabled,
     `account.updated` emitted, and the browser sent to `return_url`
     (to `refresh_url` when the link expired or was used);
   - `POST /_config/accounts/{id}/restrict` takes payouts away again (as
     Stripe does when it needs more documents), emitting `account.updated`;
   - `POST /v1/transfers` (amount, currency, destination, transfer_group,
     source_transaction, description, metadata), `GET /v1/transfers/{id}`
     and `GET /v1/transfers` (filtered by transfer_group, destination and
     created, newest first), emitting `transfer.created`. As at Stripe, the
     destination must have the transfers capability active, and a transfer
     with a source_transaction may not take more than what is left of that
     charge (its amount less refunds and earlier transfers from it);
   - `POST /v1/transfers/{id}/reversals` (amount, default the rest;
     metadata), emitting `transfer.reversed` with the transfer.
   Accounts and transfers belong to the platform account (secret key) that
   created them; another key gets 404.
11. Lists for the reconciliation: `GET /v1/charges` and `GET /v1/refunds`
   list only the account's own objects (localstripe listed every account's),
   newest first, filtered by `created` with any of gte, gt, lte and lt
   together (localstripe took only `gt`, alone, for charges, and no
   `created` for refunds), and pages with limit and starting_after as
   Stripe's do. A charge made with `POST /v1/charges` (no PaymentIntent) is
   the planted charge of the reconciliation's mismatch test.

Not covered: expiring authorizations (localstripe has no clock; the
platform captures at once anyway).

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
    _base.set('%s://%s' % (request.scheme, request.host))
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


async def config_dispute_close(request):
    data = await srv.get_post_data(request) or {}
    if data.get('status') not in ('won', 'lost'):
        raise UserError(400, 'Bad request: status must be won or lost')
    dispute = Dispute._api_retrieve(request.match_info['id'])
    if dispute.status in ('won', 'lost'):
        raise UserError(400, 'Bad request: the dispute was decided already')
    dispute.status = data['status']
    res.schedule_webhook(res.Event('charge.dispute.closed', dispute))
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

# The publishable key may confirm a PaymentIntent (with its client_secret);
# an onboarding link is opened by a person's browser, with no key.
_auth = srv.auth_middleware


@web.middleware
async def auth_middleware(request, handler):
    import re
    if request.method == 'GET' and request.path.startswith('/_connect/'):
        return await handler(request)
    if request.method == 'POST' and re.match(r'^/v1/payment_intents/\w+/confirm$', request.path) \
            and srv.get_api_key(request) is None:
        data = await srv.get_post_data(request, remove_auth=False)
        if isinstance(data, dict) and str(data.get('key', '')).startswith('pk_'):
            return await handler(request)
    return await _auth(request, handler)


# 10. Connect ----------------------------------------------------------------
_base = contextvars.ContextVar('base', default='http://127.0.0.1:8420')


def _mine(cls, id, what):
    """An object of the caller's platform account (404-like 400 otherwise, as Stripe answers
    for a parameter naming something that does not exist)."""
    obj = res.store.get(cls.object + ':' + str(id)) if isinstance(id, str) else None
    if obj is None or getattr(obj, '_account', None) != _account.get():
        raise UserError(400, 'No such %s: %s' % (what, id), {'code': 'resource_missing', 'param': what})
    return obj


def _unexpected(kwargs):
    if kwargs:
        raise UserError(400, 'Unexpected ' + ', '.join(kwargs.keys()))


def _retrieve_mine(cls):
    @classmethod
    def retrieve(klass, id):
        obj = res.store.get(cls.object + ':' + id)
        if obj is None or getattr(obj, '_account', None) != _account.get():
            raise UserError(404, 'No such %s: %s' % (cls.object, id), {'code': 'resource_missing'})
        return obj
    return retrieve


class Account(res.StripeObject):
    object = 'account'
    _id_prefix = 'acct_'

    def __init__(self, type=None, country=None, email=None, capabilities=None, business_type=None,
                 metadata=None, business_profile=None, **kwargs):
        _unexpected(kwargs)
        if type not in ('express', 'standard', 'custom'):
            raise UserError(400, 'Invalid type: must be one of express, standard or custom', {'param': 'type'})
        if not isinstance(country, str) or len(country) != 2 or not country.isalpha():
            raise UserError(400, 'Invalid country', {'param': 'country'})
        if capabilities is not None and not isinstance(capabilities, dict):
            raise UserError(400, 'Invalid capabilities', {'param': 'capabilities'})
        super().__init__()
        self.type = type
        self.country = country.upper()
        self.email = email
        self.business_type = business_type
        self.metadata = metadata or {}
        self.capabilities = {name: 'inactive' for name in (capabilities or {})}
        self._restrict()

    def _restrict(self):
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = self.details_submitted if hasattr(self, 'details_submitted') else False
        self.capabilities = {name: 'inactive' for name in self.capabilities}
        self.requirements = {'currently_due': ['external_account', 'individual.verification.document'],
                             'disabled_reason': 'requirements.past_due'}

    def _onboard(self):
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = {name: 'active' for name in (self.capabilities or {'transfers': None})}
        self.requirements = {'currently_due': [], 'disabled_reason': None}


Account._api_retrieve = _retrieve_mine(Account)


class AccountLink(res.StripeObject):
    object = 'account_link'
    _id_prefix = 'acctlink_'

    def __init__(self, account=None, refresh_url=None, return_url=None, type=None, collect=None, **kwargs):
        _unexpected(kwargs)
        acct = _mine(Account, account, 'account')
        for name, url in (('refresh_url', refresh_url), ('return_url', return_url)):
            if not isinstance(url, str) or not url.startswith(('http://', 'https://')):
                raise UserError(400, 'Invalid %s' % name, {'param': name})
        if type not in ('account_onboarding', 'account_update'):
            raise UserError(400, 'Invalid type', {'param': 'type'})
        super().__init__()
        self.expires_at = self.created + 300
        self.url = '%s/_connect/onboard/%s' % (_base.get(), self.id)
        self._acct = acct.id
        self._refresh_url = refresh_url
        self._return_url = return_url
        self._used = False


async def connect_onboard(request):
    import time
    link = res.store.get('account_link:' + request.match_info['id'])
    if link is None:
        raise UserError(404, 'Not Found')
    if link._used or time.time() > link.expires_at:
        raise web.HTTPFound(link._refresh_url)
    link._used = True
    acct = res.store.get('account:' + link._acct)
    acct._onboard()
    res.schedule_webhook(res.Event('account.updated', acct))
    raise web.HTTPFound(link._return_url)


async def config_restrict(request):
    acct = res.store.get('account:' + request.match_info['id'])
    if acct is None:
        raise UserError(404, 'Not Found')
    acct._restrict()
    res.schedule_webhook(res.Event('account.updated', acct))
    return srv.json_response(acct._export())


class Transfer(res.StripeObject):
    object = 'transfer'
    _id_prefix = 'tr_'

    def __init__(self, amount=None, currency=None, destination=None, transfer_group=None,
                 source_transaction=None, description=None, metadata=None, **kwargs):
        _unexpected(kwargs)
        amount = res.try_convert_to_int(amount)
        if type(amount) is not int or amount <= 0:
            raise UserError(400, 'Invalid positive integer', {'param': 'amount'})
        if not isinstance(currency, str) or len(currency) != 3:
            raise UserError(400, 'Invalid currency', {'param': 'currency'})
        dest = _mine(Account, destination, 'destination')
        if dest.capabilities.get('transfers') != 'active':
            raise UserError(400, 'Your destination account needs to have at least one of the following '
                                 'capabilities enabled: transfers, crypto_transfers, legacy_payments',
                            {'param': 'destination'})
        if source_transaction is not None:
            charge = _mine(res.Charge, source_transaction, 'source_transaction')
            if charge.currency.lower() != currency.lower():
                raise UserError(400, 'The currency of source_transaction\'s balance transaction (%s) must be '
                                     'the same as the transfer currency (%s)' % (charge.currency, currency),
                                {'param': 'currency'})
            taken = sum(t.amount - t.amount_reversed for t in _transfers()
                        if t.source_transaction == charge.id)
            if taken + amount > charge.amount - (charge.amount_refunded or 0):
                raise UserError(400, 'Insufficient funds: the transfer would take more than what is left of '
                                     'its source_transaction', {'code': 'insufficient_funds'})
        super().__init__()
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency.lower()
        self.destination = dest.id
        self.transfer_group = transfer_group
        self.source_transaction = source_transaction
        self.description = description
        self.metadata = metadata or {}
        self.reversed = False
        self._reversals = []
        res.schedule_webhook(res.Event('transfer.created', self))

    @property
    def reversals(self):
        return {'object': 'list', 'data': [r._export() for r in self._reversals],
                'has_more': False, 'total_count': len(self._reversals),
                'url': '/v1/transfers/%s/reversals' % self.id}

    @classmethod
    def _api_list_all(cls, url, limit=None, starting_after=None, transfer_group=None, destination=None,
                      created=None, **kwargs):
        _unexpected(kwargs)
        li = res.List(url, limit=limit, starting_after=starting_after)
        items = _transfers()
        if transfer_group is not None:
            items = [t for t in items if t.transfer_group == transfer_group]
        if destination is not None:
            items = [t for t in items if t.destination == destination]
        items = _created_between(items, created)
        li._list = sorted(items, key=lambda t: t._seq, reverse=True)
        return li

    @classmethod
    def _api_reverse(cls, id, amount=None, metadata=None, description=None, **kwargs):
        _unexpected(kwargs)
        tr = cls._api_retrieve(id)
        left = tr.amount - tr.amount_reversed
        amount = left if amount is None else res.try_convert_to_int(amount)
        if type(amount) is not int or amount <= 0 or amount > left:
            raise UserError(400, 'Invalid amount: at most %d is left to reverse' % left, {'param': 'amount'})
        rev = TransferReversal(tr, amount, metadata)
        tr._reversals.append(rev)
        tr.amount_reversed += amount
        tr.reversed = tr.amount_reversed == tr.amount
        res.schedule_webhook(res.Event('transfer.reversed', tr))
        return rev


_Transfer_init = Transfer.__init__


def _numbered_transfer(self, *args, **kwargs):
    _Transfer_init(self, *args, **kwargs)
    _numbered_transfer.seq += 1
    self._seq = _numbered_transfer.seq


_numbered_transfer.seq = 0
Transfer.__init__ = _numbered_transfer
Transfer._api_retrieve = _retrieve_mine(Transfer)


def _transfers():
    return _mine_all('transfer')


def _mine_all(obj):
    mine = _account.get()
    return [v for k, v in res.store.items() if k.startswith(obj + ':') and getattr(v, '_account', None) == mine]


def _created_between(items, created):
    """`created[gte|gt|lte|lt]`, any of them together, as Stripe filters lists."""
    if created is None:
        return items
    if not isinstance(created, dict) or not created or set(created) - {'gte', 'gt', 'lte', 'lt'}:
        raise UserError(400, 'Invalid created filter', {'param': 'created'})
    for op, test in (('gte', lambda a, b: a >= b), ('gt', lambda a, b: a > b),
                     ('lte', lambda a, b: a <= b), ('lt', lambda a, b: a < b)):
        if op in created:
            bound = res.try_convert_to_int(created[op])
            if type(bound) is not int:
                raise UserError(400, 'Invalid integer: %s' % created[op], {'param': 'created[%s]' % op})
            items = [t for t in items if test(t.created, bound)]
    return items


# 11. Lists of charges and refunds ------------------------------------------
def _list_of(obj):
    @classmethod
    def list_all(cls, url, limit=None, starting_after=None, created=None, charge=None, payment_intent=None,
                 customer=None, **kwargs):
        _unexpected(kwargs)
        items = _created_between(_mine_all(obj), created)
        for field, value in (('charge', charge), ('payment_intent', payment_intent), ('customer', customer)):
            if value is not None:
                items = [i for i in items if getattr(i, field, None) == value]
        li = res.List(url, limit=limit, starting_after=starting_after)
        li._list = sorted(items, key=lambda i: (i.created, i.id), reverse=True)
        return li
    return list_all


res.Charge._api_list_all = _list_of('charge')
res.Refund._api_list_all = _list_of('refund')


class TransferReversal(res.StripeObject):
    object = 'transfer_reversal'
    _id_prefix = 'trr_'

    def __init__(self, transfer, amount, metadata):
        super().__init__()
        self._account = transfer._account
        self.amount = amount
        self.currency = transfer.currency
        self.transfer = transfer.id
        self.metadata = metadata or {}


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
    app.router.add_post('/_config/disputes/{id}/close', config_dispute_close)
    app.router.add_post('/_config/accounts/{id}/restrict', config_restrict)
    app.router.add_get('/_connect/onboard/{id}', connect_onboard)
    for cls in (Account, AccountLink, Transfer):
        app.router.add_post('/v1/%ss' % cls.object, srv.api_create(cls, None))
    for cls in (Account, Transfer):
        app.router.add_get('/v1/%ss/{id}' % cls.object, srv.api_retrieve(cls, None))
    app.router.add_get('/v1/transfers', srv.api_list_all(Transfer, '/v1/transfers'))
    app.router.add_post('/v1/transfers/{id}/reversals', srv.api_extra(Transfer._api_reverse, None))
    logger = logging.getLogger('aiohttp.access')
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    web.run_app(app, sock=sock, access_log=logger, print=None)


if __name__ == '__main__':
    main()
