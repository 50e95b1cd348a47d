# flatnetd for nixpkgs: `pkgs.callPackage ./nix/package.nix { }`.
#
# The npm modules come through importNpmLock: each is fetched with the
# integrity hash package-lock.json already holds, so there is no npmDepsHash
# to compute or to keep up to date.
{ lib
, buildNpmPackage
, importNpmLock
, nodejs
, python3
, pkg-config
, pandoc
, makeWrapper
, esbuild
, iproute2
, iputils
, coreutils
}:

let
  packageJson = lib.importJSON ../package.json;
  src = lib.cleanSourceWith {
    src = ../.;
    filter = path: type:
      let base = baseNameOf path; in
      !(builtins.elem base [ "node_modules" "dist" ".git" "result" "build" ]);
  };
in
buildNpmPackage {
  pname = "flatnetd";
  inherit (packageJson) version;
  inherit src;

  # Any nodejs of package.json's engines; nixpkgs' default one.
  inherit nodejs;
  npmDeps = importNpmLock {
    npmRoot = src;
    package = packageJson;
    packageLock = import ./npm-lock.nix (lib.importJSON ../package-lock.json);
  };
  npmConfigHook = importNpmLock.npmConfigHook;

  # native/notify (Node-API) is built by node-gyp, which needs python, against
  # this derivation's own nodejs (npmConfigHook sets npm_config_nodedir to it):
  # the addon and the node that runs it come from the same build.
  nativeBuildInputs = [ python3 pkg-config pandoc makeWrapper esbuild ];

  # `npm run build` bundles the daemon (scripts/bundle.mjs) with nixpkgs'
  # esbuild: the one npm fetched for package-lock.json is a prebuilt binary for
  # other systems' loaders.
  env.ESBUILD = "${esbuild}/bin/esbuild";

  # npmConfigHook installs with --ignore-scripts; the package's own install
  # script is the addon's build.
  preBuild = ''
    npm run-script install
    test -f native/notify/build/Release/flatnetd_notify.node
  '';

  # `npm run build` (tsc, then the bundle) fills dist/; the default install step would pack the
  # package with npm, which leaves dist/ out (.gitignore), so install by hand.
  dontNpmInstall = true;

  installPhase = ''
    runHook preInstall

    npm prune --omit=dev --omit=optional --no-save
    lib=$out/lib/flatnetd
    mkdir -p $lib/dist $out/bin
    cp -r package.json node_modules $lib/
    cp -r dist/src dist/bundle $lib/dist/
    install -Dm755 native/notify/build/Release/flatnetd_notify.node \
      $lib/native/notify/build/Release/flatnetd_notify.node

    # The daemon runs `ip` and `arping` (iputils: ARP probes before a shim's address is used) from PATH.
    # Node flags as in src/node-flags.ts (none).
    makeWrapper ${nodejs}/bin/node $out/bin/flatnetd \
      --add-flags $lib/dist/bundle/flatnetd.js \
      --prefix PATH : ${lib.makeBinPath [ iproute2 iputils ]}
    makeWrapper ${nodejs}/bin/node $out/bin/flatnetctl \
      --add-flags $lib/dist/src/cli/flatnetctl.js \
      --prefix PATH : ${lib.makeBinPath [ iproute2 ]}

    install -Dm644 systemd/flatnetd.service $out/lib/systemd/system/flatnetd.service
    substituteInPlace $out/lib/systemd/system/flatnetd.service \
      --replace-fail /usr/bin/flatnetd $out/bin/flatnetd \
      --replace-fail /bin/kill ${coreutils}/bin/kill
    install -Dm644 systemd/flatnet-wait-online.service $out/lib/systemd/system/flatnet-wait-online.service
    substituteInPlace $out/lib/systemd/system/flatnet-wait-online.service \
      --replace-fail /usr/bin/flatnetctl $out/bin/flatnetctl
    install -Dm644 systemd/flatnet-online.target $out/lib/systemd/system/flatnet-online.target
    for d in docker podman podman-restart containerd kubelet; do
      install -Dm644 systemd/$d.service.d/10-flatnetd.conf \
        $out/lib/systemd/system/$d.service.d/10-flatnetd.conf
    done
    install -Dm644 dbus/org.flatnet.flatnet1.conf $out/share/dbus-1/system.d/org.flatnet.flatnet1.conf
    for i in Manager Network; do
      install -Dm644 dbus/org.flatnet.flatnet1.$i.xml $out/share/dbus-1/interfaces/org.flatnet.flatnet1.$i.xml
    done
    # NixOS's polkit reads actions from /run/current-system/sw/share/polkit-1/actions
    # (the module puts the package in environment.systemPackages).
    install -Dm644 packaging/polkit/org.flatnet.flatnet1.policy $out/share/polkit-1/actions/org.flatnet.flatnet1.policy
    install -Dm644 packaging/udev/90-flatnetd.rules $out/lib/udev/rules.d/90-flatnetd.rules
    install -Dm644 packaging/systemd-network/01-flatnetd-unmanaged.network \
      $out/lib/systemd/network/01-flatnetd-unmanaged.network
    install -Dm644 packaging/iproute2/flatnet.conf $out/share/iproute2/rt_protos.d/flatnet.conf
    install -Dm644 packaging/tmpfiles.d/flatnetd.conf $out/lib/tmpfiles.d/flatnetd.conf

    sh scripts/build-man.sh man
    for m in flatnetd.8 flatnet.d.5 flatnetctl.1; do
      install -Dm644 man/$m $out/share/man/man''${m##*.}/$m
    done
    install -Dm644 completions/bash/flatnetctl $out/share/bash-completion/completions/flatnetctl
    install -Dm644 completions/zsh/_flatnetctl $out/share/zsh/site-functions/_flatnetctl
    # The Cockpit page, outside share/cockpit: the module's cockpit.enable links it in.
    mkdir -p $out/share/flatnetd/cockpit
    cp -r cockpit/flatnet $out/share/flatnetd/cockpit/flatnet
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
