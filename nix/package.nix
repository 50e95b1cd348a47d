# flatnetd for nixpkgs: `pkgs.callPackage ./nix/package.nix { }`.
#
# npmDepsHash cannot be computed here (no nixpkgs, no fetcher): the first
# build fails with "hash mismatch ... got: sha256-…"; put that value in place
# of lib.fakeHash (or run `prefetch-npm-deps package-lock.json`).
{ lib
, buildNpmPackage
, nodejs
, python3
, pkg-config
, pandoc
, makeWrapper
, systemd
, iproute2
, iputils
, coreutils
}:

let
  packageJson = lib.importJSON ../package.json;
in
buildNpmPackage {
  pname = "flatnetd";
  inherit (packageJson) version;

  src = lib.cleanSourceWith {
    src = ../.;
    filter = path: type:
      let base = baseNameOf path; in
      !(builtins.elem base [ "node_modules" "dist" ".git" "result" ]);
  };

  # Any nodejs >= 20 (package.json engines); nixpkgs' default one.
  inherit nodejs;
  npmDepsHash = lib.fakeHash;

  # sd-notify is a native addon linking libsystemd; node-gyp needs python.
  nativeBuildInputs = [ python3 pkg-config pandoc makeWrapper ];
  buildInputs = [ systemd ];

  # `npm run build` (tsc) fills dist/; the default install step would pack the
  # package with npm, which leaves dist/ out (.gitignore), so install by hand.
  dontNpmInstall = true;

  installPhase = ''
    runHook preInstall

    npm prune --omit=dev --omit=optional --no-save
    lib=$out/lib/flatnetd
    mkdir -p $lib/dist $out/bin
    cp -r package.json node_modules $lib/
    cp -r dist/src $lib/dist/

    # The daemon runs `ip` and `arping` (iputils: ARP probes before a shim's address is used) from PATH.
    # Node flags as in src/node-flags.ts.
    makeWrapper ${nodejs}/bin/node $out/bin/flatnetd \
      --add-flags "--max-semi-space-size=1 $lib/dist/src/main.js" \
      --prefix PATH : ${lib.makeBinPath [ iproute2 iputils ]}
    makeWrapper ${nodejs}/bin/node $out/bin/flatnetctl \
      --add-flags $lib/dist/src/cli/flatnetctl.js \
      --prefix PATH : ${lib.makeBinPath [ iproute2 ]}

    install -Dm644 systemd/flatnetd.service $out/lib/systemd/system/flatnetd.service
    substituteInPlace $out/lib/systemd/system/flatnetd.service \
      --replace-fail /usr/bin/flatnetd $out/bin/flatnetd \
      --replace-fail /bin/kill ${coreutils}/bin/kill
    for d in docker podman podman-restart; do
      install -Dm644 systemd/$d.service.d/10-flatnetd.conf \
        $out/lib/systemd/system/$d.service.d/10-flatnetd.conf
    done
    install -Dm644 dbus/org.flatnet.flatnet1.conf $out/share/dbus-1/system.d/org.flatnet.flatnet1.conf
    install -Dm644 packaging/udev/90-flatnetd.rules $out/lib/udev/rules.d/90-flatnetd.rules
    install -Dm644 packaging/systemd-network/01-flatnetd-unmanaged.network \
      $out/lib/systemd/network/01-flatnetd-unmanaged.network
    install -Dm644 packaging/iproute2/flatnet.conf $out/share/iproute2/rt_protos.d/flatnet.conf
    install -Dm644 packaging/tmpfiles.d/flatnetd.conf $out/lib/tmpfiles.d/flatnetd.conf

    for m in flatnetd.8 flatnet.d.5 flatnetctl.1; do
      mkdir -p $out/share/man/man''${m##*.}
      pandoc --standalone --from markdown --to man docs/$m.md -o $out/share/man/man''${m##*.}/$m
    done
    if [ -d etc/flatnet.d ]; then
      mkdir -p $out/share/doc/flatnetd/examples
      cp etc/flatnet.d/*.conf $out/share/doc/flatnetd/examples/
    fi

    runHook postInstall
  '';

  meta = {
    description = "Host side of Docker/Podman macvlan and ipvlan networks: VLAN parents and host shims, kept true";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "flatnetd";
  };
}
