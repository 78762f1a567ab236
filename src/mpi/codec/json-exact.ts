/** How much of a value the check walks before it gives up: a larger value takes another path. */
const JSON_CHECK_BUDGET = 256;

/** The objects the check below has entered (values are small: a list beats a Set). */
const entered: object[] = [];
let checkBudget = 0;

/**
 * Whether JSON gives back exactly what a structured clone would: strings, booleans, null,
 * finite numbers other than -0, and plain objects and dense arrays of them, with no object
 * reached twice (a clone keeps shared references shared) and no "__proto__" key.
 */
export function reproducedByJson(root: unknown): boolean {
  checkBudget = JSON_CHECK_BUDGET;
  const exact = exactInJson(root);
  entered.length = 0;
  return exact;
}

function exactInJson(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (--checkBudget < 0 || entered.includes(value as object)) return false;
  entered.push(value as object);
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Array.prototype && Array.isArray(value)) {
    if (Object.keys(value).length !== value.length) return false; // holes or extra properties
    for (let i = 0; i < value.length; i++) if (!exactInJson(value[i])) return false;
    return true;
  }
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in value as object) {
    // for-in also walks inherited keys: a null-prototype or plain object has none of its own prototype's.
    if (key === '__proto__' || !exactInJson((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}
