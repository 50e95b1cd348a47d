/*
 * The systemd notification protocol, without libsystemd: one datagram to the
 * AF_UNIX socket systemd named in $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace), as sd_notify(3) sends it. The kernel attaches our
 * credentials (systemd sets SO_PASSCRED), so nothing else is needed.
 *
 * Node-API only (no V8 or libuv symbols): the ABI is stable across Node
 * majors, so an addon built under one Node loads under every later one.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Returns 0, or the negative errno of what failed. */
static int notify_send(const char *address, size_t address_len, const char *message, size_t message_len) {
  struct sockaddr_un sa;
  socklen_t sa_len;
  int fd, r = 0;

  if (address_len < 2 || (address[0] != '/' && address[0] != '@'))
    return -EAFNOSUPPORT;
  if (address_len > sizeof(sa.sun_path))
    return -ENAMETOOLONG;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, address, address_len);
  if (address[0] == '@') {
    /* Abstract: a leading NUL, and the length says where the name ends. */
    sa.sun_path[0] = '\0';
    sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + address_len);
  } else {
    sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + address_len + 1);
    if (address_len == sizeof(sa.sun_path))
      return -ENAMETOOLONG;
  }

  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (sendto(fd, message, message_len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len) < 0)
    r = -errno;
  close(fd);
  return r;
}

static napi_status get_string(napi_env env, napi_value v, char *buf, size_t size, size_t *len) {
  napi_status s = napi_get_value_string_utf8(env, v, buf, size, len);
  if (s == napi_ok && *len + 1 >= size)
    return napi_invalid_arg; /* would have been cut short */
  return s;
}

/* send(address: string, message: string): number — 0, or a negative errno. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2, address_len = 0, message_len = 0;
  napi_value argv[2], result;
  char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
  char message[4096];
  int r;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "send(address, message) takes two strings");
    return NULL;
  }
  if (get_string(env, argv[0], address, sizeof(address), &address_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "NOTIFY_SOCKET must be a string that fits a unix socket address");
    return NULL;
  }
  if (get_string(env, argv[1], message, sizeof(message), &message_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "the notification must be a string under 4 KiB");
    return NULL;
  }
  r = notify_send(address, address_len, message, message_len);
  napi_create_int32(env, r, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "send", NAPI_AUTO_LENGTH, js_send, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "send", fn) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
