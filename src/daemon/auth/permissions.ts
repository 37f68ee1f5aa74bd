/** Roles and what each may do (docs/design.md). */
export const ROLES = ['admin', 'manager', 'viewer', 'service'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['keys:read', 'keys:write', 'keys:verify', 'operators:manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['keys:read', 'keys:write', 'keys:verify', 'operators:manage'],
  manager: ['keys:read', 'keys:write', 'keys:verify'],
  viewer: ['keys:read'],
  service: ['keys:verify'],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}
