-- 0001_demo_catalog.sql: the demo catalog (14 cakes, 500 g / 1 kg / 2 kg each).
-- Idempotent: runs on every `lafete seed`; existing products and variants
-- (even edited or archived ones) are left as they are.

WITH cakes (slug, name, description, price_500g, lead_time_hours) AS (VALUES
  ('rose-pistachio-entremet', 'Rose Pistachio Entremet',
   'Layers of pistachio dacquoise, rose mousse and raspberry gel under a blush mirror glaze.', 1499, 48),
  ('belgian-dark-chocolate-truffle', 'Belgian Dark Chocolate Truffle',
   'Moist chocolate sponge soaked in cocoa syrup, filled and coated with 54% Belgian ganache.', 1199, 12),
  ('alphonso-mango-cheesecake', 'Alphonso Mango Cheesecake',
   'Baked vanilla cheesecake on a butter biscuit base, topped with Ratnagiri Alphonso mango.', 1399, 24),
  ('saffron-rasmalai-cake', 'Saffron Rasmalai Cake',
   'Saffron milk sponge with rasmalai pieces, cardamom cream and slivered pistachio.', 1299, 24),
  ('red-velvet-cream-cheese', 'Red Velvet Cream Cheese',
   'Buttermilk red velvet layers with a tangy whipped cream cheese frosting.', 999, 12),
  ('classic-black-forest', 'Classic Black Forest',
   'Chocolate chiffon, kirsch-soaked cherries, fresh whipped cream and dark chocolate shavings.', 899, 6),
  ('salted-caramel-hazelnut', 'Salted Caramel Hazelnut',
   'Brown sugar sponge, house salted caramel and roasted hazelnut crunch.', 1249, 24),
  ('blueberry-lemon-chiffon', 'Blueberry Lemon Chiffon',
   'Light lemon chiffon with blueberry compote and lemon curd cream.', 1149, 24),
  ('tender-coconut-malai', 'Tender Coconut Malai',
   'Coconut sponge layered with tender coconut malai cream and toasted flakes.', 1099, 24),
  ('biscoff-crunch-cheesecake', 'Biscoff Crunch Cheesecake',
   'No-bake cheesecake with Lotus Biscoff spread, speculoos crumb and caramel drizzle.', 1349, 24),
  ('kesar-pista-tres-leches', 'Kesar Pista Tres Leches',
   'Vanilla sponge soaked in three milks with saffron, topped with pistachio cream.', 1299, 36),
  ('fresh-fruit-vanilla-gateau', 'Fresh Fruit Vanilla Gateau',
   'Madagascar vanilla sponge with chantilly cream and seasonal fresh fruit.', 949, 6),
  ('hazelnut-praline-opera', 'Hazelnut Praline Opera',
   'Almond joconde, coffee syrup, hazelnut praline buttercream and a dark chocolate glaze.', 1449, 48),
  ('gulab-jamun-celebration-cake', 'Gulab Jamun Celebration Cake',
   'Cardamom sponge with rose syrup, mini gulab jamuns and malai cream.', 1199, 24)
)
INSERT INTO products (slug, name, description, base_price, images, is_available, lead_time_hours)
SELECT slug, name, description, price_500g, ARRAY['/static/cakes/' || slug || '.png'], true, lead_time_hours
FROM cakes
ON CONFLICT (slug) DO NOTHING;

-- 500 g at the base price; 1 kg about 1.8x and 2 kg about 3.4x, priced at ...99.
INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units, sort_order)
SELECT p.id, s.label, s.grams,
       CASE WHEN s.factor = 1 THEN p.base_price ELSE ceil(p.base_price * s.factor / 100) * 100 - 1 END,
       s.units, s.sort_order
FROM products p
CROSS JOIN (VALUES ('500 g', 500, 1.0, 1, 0), ('1 kg', 1000, 1.8, 2, 1), ('2 kg', 2000, 3.4, 4, 2))
     AS s (label, grams, factor, units, sort_order)
WHERE NOT EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id)  -- an edited cake is left alone
  AND p.slug IN ('rose-pistachio-entremet', 'belgian-dark-chocolate-truffle', 'alphonso-mango-cheesecake',
                 'saffron-rasmalai-cake', 'red-velvet-cream-cheese', 'classic-black-forest',
                 'salted-caramel-hazelnut', 'blueberry-lemon-chiffon', 'tender-coconut-malai',
                 'biscoff-crunch-cheesecake', 'kesar-pista-tres-leches', 'fresh-fruit-vanilla-gateau',
                 'hazelnut-praline-opera', 'gulab-jamun-celebration-cake')
ON CONFLICT (product_id, label) DO NOTHING;
