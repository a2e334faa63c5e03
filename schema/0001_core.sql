-- 0001_core.sql: the whole data model of the shop. Never edit once shipped;
-- later changes go into new numbered files.

CREATE SEQUENCE order_number_seq START 1001;

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email          text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    password_hash  text,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    phone          text NOT NULL CHECK (phone ~ '^\+91[0-9]{10}$'),
    role           text NOT NULL DEFAULT 'CUSTOMER' CHECK (role IN ('CUSTOMER', 'ADMIN')),
    failed_logins  integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users ((lower(email)));

CREATE TABLE addresses (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label       text CHECK (length(label) <= 50),
    street      text NOT NULL CHECK (length(street) BETWEEN 1 AND 200),
    city        text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    pincode     text NOT NULL CHECK (pincode ~ '^[1-9][0-9]{5}$'),
    latitude    numeric(9,6) NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude   numeric(9,6) NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_idx ON addresses (user_id);

CREATE TABLE products (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,80}$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    base_price       numeric(10,2) NOT NULL CHECK (base_price >= 0),
    images           text[] NOT NULL DEFAULT '{}',
    is_available     boolean NOT NULL DEFAULT true,
    lead_time_hours  integer NOT NULL DEFAULT 24 CHECK (lead_time_hours BETWEEN 0 AND 336),
    archived_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_name_idx ON products (lower(name));

CREATE TABLE variants (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id     uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    label          text NOT NULL CHECK (length(label) BETWEEN 1 AND 40),
    weight_grams   integer NOT NULL CHECK (weight_grams BETWEEN 1 AND 20000),
    price          numeric(10,2) NOT NULL CHECK (price >= 0),
    kitchen_units  integer NOT NULL DEFAULT 1 CHECK (kitchen_units BETWEEN 1 AND 100),
    is_available   boolean NOT NULL DEFAULT true,
    sort_order     integer NOT NULL DEFAULT 0,
    archived_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, label)
);
CREATE INDEX variants_product_idx ON variants (product_id);

CREATE TABLE carts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cart_items (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cart_id     uuid NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    variant_id  uuid NOT NULL REFERENCES variants(id),
    quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 20),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cart_id, variant_id)
);

-- Kitchen capacity per delivery slot, booked in the order's transaction.
CREATE TABLE delivery_slots (
    slot_start      timestamptz PRIMARY KEY,
    capacity_units  integer NOT NULL CHECK (capacity_units >= 0),
    booked_units    integer NOT NULL DEFAULT 0 CHECK (booked_units >= 0),
    CHECK (booked_units <= capacity_units)
);

CREATE TABLE orders (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_number      bigint NOT NULL UNIQUE DEFAULT nextval('order_number_seq'),
    user_id           uuid NOT NULL REFERENCES users(id),
    address_id        uuid REFERENCES addresses(id) ON DELETE SET NULL,
    address           jsonb NOT NULL,          -- snapshot: street, city, pincode, coordinates, contact
    status            text NOT NULL DEFAULT 'PENDING'
                      CHECK (status IN ('PENDING','CONFIRMED','BAKING','READY','DISPATCHED','DELIVERED','CANCELLED')),
    subtotal          numeric(10,2) NOT NULL CHECK (subtotal >= 0),
    delivery_fee      numeric(10,2) NOT NULL CHECK (delivery_fee >= 0),
    total_amount      numeric(10,2) NOT NULL CHECK (total_amount >= 0),
    delivery_slot     timestamptz NOT NULL,
    slot_units        integer NOT NULL CHECK (slot_units > 0),
    slot_released     boolean NOT NULL DEFAULT false,
    custom_message    text CHECK (length(custom_message) <= 60),
    is_gift           boolean NOT NULL DEFAULT false,
    gift_message      text CHECK (length(gift_message) <= 300),
    idempotency_key   text CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    tracking_token    text NOT NULL UNIQUE,
    needs_attention   boolean NOT NULL DEFAULT false,
    attention_reason  text,
    confirmed_at      timestamptz,
    dispatched_at     timestamptz,
    delivered_at      timestamptz,
    cancelled_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (total_amount = subtotal + delivery_fee),
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_slot_idx ON orders (delivery_slot);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at);

CREATE TABLE order_items (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id       uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id     uuid NOT NULL REFERENCES products(id),
    variant_id     uuid NOT NULL REFERENCES variants(id),
    product_name   text NOT NULL,
    variant_label  text NOT NULL,
    weight_grams   integer NOT NULL CHECK (weight_grams > 0),
    kitchen_units  integer NOT NULL CHECK (kitchen_units > 0),
    unit_price     numeric(10,2) NOT NULL CHECK (unit_price >= 0),
    quantity       integer NOT NULL CHECK (quantity BETWEEN 1 AND 20),
    line_total     numeric(10,2) NOT NULL CHECK (line_total >= 0),
    CHECK (line_total = unit_price * quantity)
);
CREATE INDEX order_items_order_idx ON order_items (order_id);
CREATE INDEX order_items_product_idx ON order_items (product_id);

CREATE TABLE order_status_history (
    id           bigserial PRIMARY KEY,
    order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    from_status  text,
    to_status    text NOT NULL,
    actor        text NOT NULL,     -- 'customer:<id>', 'admin:<id>', 'razorpay', 'borzo', 'system'
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);

CREATE TABLE payments (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id             uuid NOT NULL UNIQUE REFERENCES orders(id),
    razorpay_order_id    text UNIQUE,
    razorpay_payment_id  text UNIQUE,
    amount               numeric(10,2) NOT NULL CHECK (amount >= 0),
    currency             text NOT NULL DEFAULT 'INR',
    status               text NOT NULL DEFAULT 'CREATED'
                         CHECK (status IN ('CREATING','CREATED','AUTHORIZED','CAPTURED','FAILED','REFUNDED','PARTIALLY_REFUNDED')),
    method               text,
    error_code           text,
    error_description    text,
    captured_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refunds (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id          uuid NOT NULL REFERENCES payments(id),
    order_id            uuid NOT NULL REFERENCES orders(id),
    razorpay_refund_id  text UNIQUE,
    amount              numeric(10,2) NOT NULL CHECK (amount > 0),
    status              text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','PROCESSED','FAILED')),
    idempotency_key     text NOT NULL UNIQUE,
    reason              text,
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id        uuid NOT NULL UNIQUE REFERENCES orders(id),
    booking_state   text NOT NULL DEFAULT 'IN_PROGRESS'
                    CHECK (booking_state IN ('IN_PROGRESS','BOOKED','FAILED','CANCELLED')),
    borzo_order_id  bigint UNIQUE,
    status          text CHECK (status IN ('SEARCHING','ASSIGNED','PICKED_UP','COMPLETED','CANCELLED','FAILED')),
    tracking_url    text,
    courier_name    text,
    courier_phone   text,
    price           numeric(10,2) CHECK (price >= 0),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    booked_at       timestamptz,
    picked_up_at    timestamptz,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Background work, claimed with SELECT ... FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('book_courier','send_email','reconcile_payment','refund')),
    order_id      uuid REFERENCES orders(id),
    payload       jsonb NOT NULL DEFAULT '{}',
    state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','running','done','dead')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 5,
    run_at        timestamptz NOT NULL DEFAULT now(),
    locked_at     timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE state = 'queued';
CREATE UNIQUE INDEX jobs_one_open_per_order ON jobs (kind, order_id) WHERE state IN ('queued','running') AND kind <> 'send_email';

-- Each partner event is processed once.
CREATE TABLE webhook_events (
    source       text NOT NULL CHECK (source IN ('razorpay','borzo')),
    event_id     text NOT NULL,
    event_type   text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, event_id)
);

-- Customer emails, written in the transaction of the change that causes them.
CREATE TABLE emails (
    id          bigserial PRIMARY KEY,
    order_id    uuid REFERENCES orders(id),
    kind        text NOT NULL,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    body        text NOT NULL,
    state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sent','dead')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    send_after  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind)
);
CREATE INDEX emails_due_idx ON emails (send_after) WHERE state = 'queued';

-- Delivery quotes cached briefly per rounded coordinate.
CREATE TABLE delivery_quotes (
    lat_key     numeric(7,3) NOT NULL,
    lng_key     numeric(7,3) NOT NULL,
    amount      numeric(10,2) NOT NULL CHECK (amount >= 0),
    fetched_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lat_key, lng_key)
);
