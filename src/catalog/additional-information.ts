import { createHash } from 'node:crypto';
import { CatalogRuleError } from './errors';

/** Checkout questions on a product (SellApp's additional_information). */
export const FIELD_TYPES = [
  'text',
  'number',
  'email',
  'phone',
  'currency',
  'link',
  'textarea',
  'select',
  'radio',
  'checkbox-group',
  'pillbox',
  'checkbox',
  'switch',
  'date',
  'date-range',
  'hidden',
] as const;

const RESERVED_LABELS = new Set(['purchase_quantity', 'customer_email', 'payment_method', 'extra']);
const NEEDS_OPTIONS = new Set(['select', 'radio', 'checkbox-group', 'pillbox']);

export interface AdditionalField {
  required: boolean;
  key: string;
  type: string;
  label: string;
  [extra: string]: unknown;
}

/**
 * Normalises and checks the fields: types lower-cased (v1 sends TEXT), keys derived from
 * the label as SellApp does (md5 hex) when omitted, labels and keys unique.
 */
export function normaliseAdditionalInformation(
  fields: readonly Record<string, unknown>[],
  param = 'additional_information',
): AdditionalField[] {
  const labels = new Set<string>();
  const keys = new Set<string>();
  return fields.map((field, i) => {
    const type = String(field.type ?? '').toLowerCase();
    const label = String(field.label ?? '');
    if (!(FIELD_TYPES as readonly string[]).includes(type))
      throw new CatalogRuleError('invalid_field', `Unknown field type "${String(field.type)}"`, `${param}.${i}.type`);
    if (label.length < 2 || label.length > 100)
      throw new CatalogRuleError('invalid_field', 'A field label is 2-100 characters', `${param}.${i}.label`);
    if (RESERVED_LABELS.has(label)) throw new CatalogRuleError('invalid_field', `"${label}" is a reserved label`, `${param}.${i}.label`);
    if (labels.has(label)) throw new CatalogRuleError('invalid_field', `Label "${label}" is used twice`, `${param}.${i}.label`);
    labels.add(label);
    const key = typeof field.key === 'string' && field.key ? field.key : createHash('md5').update(label).digest('hex');
    if (!/^[A-Za-z0-9_]{2,100}$/.test(key))
      throw new CatalogRuleError('invalid_field', 'A field key is 2-100 letters, digits or underscores', `${param}.${i}.key`);
    if (keys.has(key)) throw new CatalogRuleError('invalid_field', `Key "${key}" is used twice`, `${param}.${i}.key`);
    keys.add(key);
    const options = field.options;
    if (NEEDS_OPTIONS.has(type) && (!Array.isArray(options) || options.length === 0)) {
      throw new CatalogRuleError('missing_field', `A ${type} field needs options`, `${param}.${i}.options`);
    }
    const extras = Object.fromEntries(
      Object.entries(field).filter(([name, value]) => !['required', 'key', 'type', 'label'].includes(name) && value !== undefined),
    );
    return { required: Boolean(field.required), key, type, label, ...extras };
  });
}
