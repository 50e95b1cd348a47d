{
  "targets": [
    {
      "target_name": "flatnetd_notify",
      "sources": ["notify.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    }
  ]
}
