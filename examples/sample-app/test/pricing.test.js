'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { subtotal, quote } = require('../src/pricing');

test('subtotal multiplies unit price by quantity', () => {
  assert.equal(subtotal([{ unitPrice: 250, quantity: 3 }, { unitPrice: 100, quantity: 1 }]), 850);
});

test('small orders get no discount', () => {
  assert.deepEqual(quote([{ unitPrice: 4999, quantity: 2 }]), { subtotal: 9998, discount: 0, total: 9998 });
});

test('orders of 100.00 or more get 10% off', () => {
  assert.deepEqual(quote([{ unitPrice: 5000, quantity: 2 }]), { subtotal: 10000, discount: 1000, total: 9000 });
  assert.deepEqual(quote([{ unitPrice: 1999, quantity: 7 }]), { subtotal: 13993, discount: 1399, total: 12594 });
});

test('malformed items are rejected', () => {
  assert.throws(() => quote([]), /non-empty/);
  assert.throws(() => quote([{ unitPrice: 1.5, quantity: 1 }]), /unitPrice/);
  assert.throws(() => quote([{ unitPrice: 100, quantity: 0 }]), /quantity/);
});
