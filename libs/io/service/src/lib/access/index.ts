export * from './access-env';
export * from './credentials';
export * from './admin-token.guard';
export * from './operator-access.guard';
