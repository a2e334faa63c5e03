-- 0016_invoices.sql: GST tax invoices and credit notes (README "Tax invoices").
-- A paid order gets a tax invoice in the transaction that confirms its payment;
-- a refund Razorpay takes gets a credit note against that invoice. Each is numbered
-- from its own series, without gaps, per financial year (April to March, Asia/Kolkata),
-- and keeps everything it shows as it was at issue: never updated, never deleted.

-- The last number given per series and financial year. Taken with
-- INSERT ... ON CONFLICT DO UPDATE ... RETURNING in the issuing transaction: the
-- row lock orders concurrent issuers (unique), and a rollback gives the number
-- back (no gap).
CREATE TABLE document_counters (
    series          text NOT NULL CHECK (series IN ('LF', 'CN')),
    financial_year  text NOT NULL CHECK (financial_year ~ '^[0-9]{4}-[0-9]{2}$'),
    last_number     integer NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (series, financial_year)
);

CREATE TABLE invoices (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind               text NOT NULL CHECK (kind IN ('INVOICE', 'CREDIT_NOTE')),
    number             text NOT NULL UNIQUE CHECK (length(number) <= 16),
    series             text NOT NULL,
    financial_year     text NOT NULL,
    seq                integer NOT NULL CHECK (seq > 0),
    order_id           uuid NOT NULL REFERENCES orders(id),
    invoice_id         uuid REFERENCES invoices(id),         -- a credit note's invoice
    refund_id          uuid UNIQUE REFERENCES refunds(id),   -- a credit note's refund
    issued_at          timestamptz NOT NULL DEFAULT now(),
    -- the seller as configured at issue, and the buyer as the order's address had it
    seller_gstin       text NOT NULL,
    seller_legal_name  text NOT NULL,
    seller_trade_name  text NOT NULL,
    seller_address     text NOT NULL,
    seller_state       text NOT NULL CHECK (seller_state ~ '^[0-9]{2}$'),
    buyer_name         text NOT NULL,
    buyer_address      text NOT NULL,
    place_of_supply    text NOT NULL CHECK (place_of_supply ~ '^[0-9]{2}$'),
    inter_state        boolean NOT NULL,
    taxable            numeric(10,2) NOT NULL CHECK (taxable >= 0),
    cgst               numeric(10,2) NOT NULL CHECK (cgst >= 0),
    sgst               numeric(10,2) NOT NULL CHECK (sgst >= 0),
    igst               numeric(10,2) NOT NULL CHECK (igst >= 0),
    total              numeric(10,2) NOT NULL CHECK (total >= 0),
    FOREIGN KEY (series, financial_year) REFERENCES document_counters (series, financial_year),
    UNIQUE (series, financial_year, seq),
    CHECK (taxable + cgst + sgst + igst = total),
    CHECK (inter_state = (place_of_supply <> seller_state)),
    CHECK (CASE kind WHEN 'INVOICE' THEN series = 'LF' AND invoice_id IS NULL AND refund_id IS NULL
                     ELSE series = 'CN' AND invoice_id IS NOT NULL AND refund_id IS NOT NULL END)
);
CREATE UNIQUE INDEX invoices_one_per_order ON invoices (order_id) WHERE kind = 'INVOICE';
CREATE INDEX invoices_order_idx ON invoices (order_id, issued_at);
CREATE INDEX invoices_invoice_idx ON invoices (invoice_id) WHERE invoice_id IS NOT NULL;

-- A credit note's line keeps the position of the invoice line it credits.
CREATE TABLE invoice_lines (
    invoice_id   uuid NOT NULL REFERENCES invoices(id),
    position     integer NOT NULL CHECK (position > 0),
    kind         text NOT NULL CHECK (kind IN ('GOODS', 'DELIVERY')),
    description  text NOT NULL,
    hsn          text NOT NULL CHECK (hsn ~ '^[0-9]{4}([0-9]{2}){0,2}$'),
    quantity     integer CHECK (quantity > 0),              -- NULL: a part of a line's value credited
    unit_price   numeric(10,2) CHECK (unit_price >= 0),     -- tax-inclusive, as the order priced it
    rate         numeric(5,2) NOT NULL CHECK (rate BETWEEN 0 AND 40),
    taxable      numeric(10,2) NOT NULL CHECK (taxable >= 0),
    cgst         numeric(10,2) NOT NULL CHECK (cgst >= 0),
    sgst         numeric(10,2) NOT NULL CHECK (sgst >= 0),
    igst         numeric(10,2) NOT NULL CHECK (igst >= 0),
    total        numeric(10,2) NOT NULL CHECK (total >= 0),
    PRIMARY KEY (invoice_id, position),
    CHECK (taxable + cgst + sgst + igst = total)
);

-- Issued documents are frozen: a correction is a credit note, never an edit.
CREATE FUNCTION invoices_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tax invoices and credit notes are never changed or deleted (%)', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER invoices_frozen BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_frozen();
CREATE TRIGGER invoice_lines_frozen BEFORE UPDATE OR DELETE ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION invoices_frozen();
