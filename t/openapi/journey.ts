// journey.ts: the customer journey through a client typed from doc/openapi.json alone.
// t/78-typed-client.t generates ./api.d.ts with openapi-typescript, compiles this file
// with tsc --strict and runs it with node against the test stack (BASE_URL, the stack's
// certificate trusted through NODE_EXTRA_CA_CERTS):
//   register -> catalog -> address -> cart -> slots -> order -> Razorpay order.
// Prints one JSON line per check: {"ok": bool, "name": "...", "diag"?: "..."}.
import createClient from 'openapi-fetch';
import type { components, paths } from './api';

type Order = components['schemas']['Order'];

const baseUrl = process.env.BASE_URL;
const productName = process.env.PRODUCT_NAME ?? '';
if (!baseUrl) throw new Error('BASE_URL unset');

const client = createClient<paths>({ baseUrl });

function check(ok: boolean, name: string, diag?: unknown): boolean {
  console.log(JSON.stringify({ ok, name, ...(ok ? {} : { diag: JSON.stringify(diag) }) }));
  return ok;
}

// YYYY-MM-DD in Asia/Kolkata, days from today
function kolkataDay(days: number): string {
  const t = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(t);
}

async function main(): Promise<void> {
  const email = `typed-${process.pid}-${Date.now()}@example.test`;
  const reg = await client.POST('/api/auth/register', {
    body: { email, password: 'correct horse battery', name: 'Typed Client', phone: '98765 43210' },
  });
  if (!check(reg.response.status === 201 && !!reg.data, 'register: 201 {token, user}', reg.error)) return;
  const session = reg.data!;
  check(session.user.phone === '+919876543210', 'the phone comes back normalised', session.user);
  const auth = { Authorization: `Bearer ${session.token}` };

  const me = await client.GET('/api/me', { headers: auth });
  check(me.data?.email === email && me.data.role === 'CUSTOMER', 'GET /api/me: the new customer', me.error);

  const catalog = await client.GET('/api/products', { params: { query: { q: productName, available: true } } });
  const product = catalog.data?.items.find((p) => p.name === productName);
  const variant = product?.variants.find((v) => v.isAvailable);
  if (!check(!!variant, 'the catalog lists the cake with a size on sale', catalog.error ?? catalog.data)) return;

  const address = await client.POST('/api/addresses', {
    headers: auth,
    body: { label: 'Home', street: '14 Church Street', city: 'Bengaluru', pincode: '560001', latitude: 12.9752, longitude: 77.605 },
  });
  if (!check(address.response.status === 201 && !!address.data, 'address: 201', address.error)) return;

  const cart = await client.POST('/api/cart', { headers: auth, body: { variantId: variant!.id, quantity: 2 } });
  if (!check(cart.response.status === 201 && cart.data?.items.length === 1, 'cart: 201 with one line', cart.error)) return;
  check(cart.data!.subtotal === cart.data!.items[0].lineTotal, 'the subtotal is the line total', cart.data);

  let slot: string | undefined;
  for (let days = 2; days < 9 && !slot; days++) {
    const slots = await client.GET('/api/delivery/slots', { params: { query: { date: kolkataDay(days) } } });
    slot = slots.data?.slots.find((s) => s.available)?.start;
  }
  if (!check(!!slot, 'a delivery slot is offered within a week')) return;

  const placed = await client.POST('/api/orders', {
    headers: { ...auth, 'Idempotency-Key': `typed-${process.pid}-${Date.now()}` },
    body: { addressId: address.data!.id, deliverySlot: slot!, customMessage: 'Happy birthday!' },
  });
  if (!check(placed.response.status === 201 && !!placed.data, 'order: 201', placed.error)) return;
  const order: Order = placed.data!;
  check(order.status === 'PENDING' && order.items.length === 1 && order.customMessage === 'Happy birthday!',
    'the order is PENDING with the cart as its items', order);

  const list = await client.GET('/api/orders', { headers: auth });
  check(list.data?.items[0]?.id === order.id && list.data.total === 1, 'GET /api/orders: the order', list.error);

  const pay = await client.POST('/api/payments/create-order', { headers: auth, body: { orderId: order.id } });
  if (!check(pay.response.status === 200 && !!pay.data, 'create-order: 200', pay.error)) return;
  const paise = Number(order.totalAmount.replace('.', ''));
  check(pay.data!.amount === paise && pay.data!.currency === 'INR' && pay.data!.order_id.length > 0,
    'the Razorpay order: the total in paise, INR', pay.data);

  const cartAfter = await client.GET('/api/cart', { headers: auth });
  check(cartAfter.data?.items.length === 0, 'the cart is empty after ordering', cartAfter.data);
}

main().catch((e: unknown) => {
  check(false, 'the journey ran to its end', String(e instanceof Error ? (e.stack ?? e.message) : e));
  process.exitCode = 1;
});
