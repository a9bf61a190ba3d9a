/** fast-check arbitraries for SIDs, ACEs and security descriptors (SDDL and binary round-trip tests). */
import fc from 'fast-check';
import { WELL_KNOWN_IDENTITIES } from '../../src/windows/identity.js';
import { OBJECT_ACE_TYPES, SDDL_ACE_TYPES } from '../../src/windows/sddl.js';
import { SD_CONTROL, type Ace, type SecurityDescriptor } from '../../src/windows/security-descriptor.js';

/** A machine account-domain SID used for domain-relative aliases. */
export const DOMAIN = 'S-1-5-21-1004336348-1177238915-682003330';
export const sidArb = fc.oneof(
  fc.constantFrom(...WELL_KNOWN_IDENTITIES.map((i) => i.sid)),
  fc.constantFrom(500, 512, 513, 526, 1001).map((r) => `${DOMAIN}-${r}`),
  fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 6 }).map((subs) => `S-1-5-${subs.join('-')}`),
);
const guidArb = fc.uuid().map((u) => u.toLowerCase());
export const aceArb: fc.Arbitrary<Ace> = fc
  .record({
    type: fc.constantFrom(...Object.values(SDDL_ACE_TYPES)),
    flags: fc.integer({ min: 0, max: 255 }),
    mask: fc.integer({ min: 0, max: 0xffffffff }),
    sid: sidArb,
    objectType: fc.option(guidArb, { nil: undefined }),
    inheritedObjectType: fc.option(guidArb, { nil: undefined }),
  })
  .map(({ type, flags, mask, sid, objectType, inheritedObjectType }) => {
    const ace: Ace = { type, flags, mask, sid };
    if (OBJECT_ACE_TYPES.has(type) && (objectType || inheritedObjectType)) {
      ace.extra = {};
      if (objectType) ace.extra.objectType = objectType;
      if (inheritedObjectType) ace.extra.inheritedObjectType = inheritedObjectType;
    }
    return ace;
  });
const aclArb = fc.array(aceArb, { maxLength: 6 }).map((aces) => ({ revision: aces.some((a) => OBJECT_ACE_TYPES.has(a.type)) ? 4 : 2, aces }));
/** Control bits SDDL can express through ACL flags. */
export const ACL_CONTROL_BITS = 0x1000 | 0x0400 | 0x0100 | 0x2000 | 0x0800 | 0x0200;
export const sdArb: fc.Arbitrary<SecurityDescriptor> = fc
  .record({
    owner: fc.option(sidArb, { nil: undefined }),
    group: fc.option(sidArb, { nil: undefined }),
    dacl: fc.oneof(fc.constant<'absent'>('absent'), fc.constant(null), aclArb),
    sacl: fc.oneof(fc.constant<'absent'>('absent'), fc.constant(null), aclArb),
    bits: fc.integer({ min: 0, max: 0xffff }),
  })
  .map(({ owner, group, dacl, sacl, bits }) => {
    let control = SD_CONTROL.SELF_RELATIVE;
    if (dacl !== 'absent') control |= SD_CONTROL.DACL_PRESENT | (bits & (0x1000 | 0x0400 | 0x0100));
    if (sacl !== 'absent') control |= SD_CONTROL.SACL_PRESENT | (bits & (0x2000 | 0x0800 | 0x0200));
    const sd: SecurityDescriptor = { control, dacl: dacl === 'absent' ? null : dacl, sacl: sacl === 'absent' ? null : sacl };
    if (owner) sd.owner = owner;
    if (group) sd.group = group;
    return sd;
  });

