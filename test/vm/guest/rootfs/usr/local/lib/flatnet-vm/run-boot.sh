#!/bin/sh
# Started by flatnet-vm-run.service. The host's run.ts waits for the "done"
# line; the journal goes next to the results for reading after a failure.
. /etc/flatnet-vm.env
OUT=/flatnet-results/$BOOT.jsonl
# stderr (one line per check, with the guest's uptime) to the journal as it
# happens, and to a file for the failure line below.
{ node "$REPO/dist/test/vm/guest/main.js" "$BOOT" "$OUT"; echo $? >/run/flatnet-vm-main.rc; } 2>&1 |
  tee /run/flatnet-vm-main.err >&2
rc=$(cat /run/flatnet-vm-main.rc)
if [ $rc -ne 0 ]; then
  tail -c 1500 /run/flatnet-vm-main.err | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () =>
      console.log(JSON.stringify({ name: "guest checks ran to the end", ok: false, detail: "node exited '"$rc"': " + s })));' >>"$OUT"
fi
journalctl -b --no-pager -o short-monotonic >"/flatnet-results/$BOOT.journal.txt" 2>&1
echo '{"done":true}' >>"$OUT"
sync
systemctl poweroff --no-block
