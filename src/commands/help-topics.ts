export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  failed (an execution failed or was cancelled, or an unexpected error)
  2  usage error or invalid input (bad flag, bad file, a prompt needed but no terminal)
  3  not found
  4  not authenticated or not allowed
  5  conflict (duplicate, concurrent change, resource in use)
  6  a required service (PostgreSQL, Redis, RabbitMQ, encryption keys) is unavailable,
     or the embedded database is in use by another process
`;
