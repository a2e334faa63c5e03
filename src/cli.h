/* cli.h: the operator's commands: migrate, seed, admin, unlock. */
#ifndef APP_CLI_H
#define APP_CLI_H

int cli_migrate(const char *dir);
int cli_seed(const char *dir);
int cli_admin(int argc, char **argv);
/* Prints the route table, one "METHOD PATTERN AUTH" line each. */
int cli_routes(void);
/* lafete unlock --email E: lifts the failed-login locks on E. Exit status. */
int cli_unlock(int argc, char **argv);
/* 1 when something accepts connections on the unix socket path. */
int cli_socket_in_use(const char *path);

#endif
