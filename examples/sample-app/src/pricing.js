'use strict';

/** Orders of at least this subtotal (in cents) get the bulk discount. */
const DISCOUNT_THRESHOLD = 10000;
/** Bulk discount, as a fraction of the subtotal. */
const DISCOUNT_RATE = 0.1;

/** Sum of unitPrice × quantity, in integer cents. Throws on a malformed item. */
function subtotal(items) {
  if (!Array.isArray(items) || items.length === 0) throw new Error('items must be a non-empty list');
  return items.reduce((sum, item) => {
    const { unitPrice, quantity } = item ?? {};
    if (!Number.isInteger(unitPrice) || unitPrice < 0) throw new Error('unitPrice must be a whole number of cents');
    if (!Number.isInteger(quantity) || quantity < 1) throw new Error('quantity must be a positive integer');
    return sum + unitPrice * quantity;
  }, 0);
}

/** A quote: subtotal, discount and total in cents. */
function quote(items) {
  const sub = subtotal(items);
  const discount = sub >= DISCOUNT_THRESHOLD ? Math.round(sub * DISCOUNT_RATE) : 0;
  return { subtotal: sub, discount, total: sub - discount };
}

module.exports = { subtotal, quote, DISCOUNT_THRESHOLD };
