# package-lock.json as nixpkgs' importNpmLock needs it: importNpmLock fetches
# each module from its "resolved" URL with the lock's own integrity hash (so
# no npmDepsHash is needed), but a lock written with npm's
# omit-lockfile-registry-resolved has no "resolved" at all. Every module that
# came from the registry gets the URL npm itself would download:
# https://registry.npmjs.org/<name>/-/<basename>-<version>.tgz.
# Builtins only, so the NixOS files' test evaluates it without nixpkgs.
lock:
let
  inherit (builtins) elemAt length mapAttrs split filter isString;
  lastOf = sep: s: let parts = filter isString (split sep s); in elemAt parts (length parts - 1);
  # "node_modules/a/node_modules/@s/b" -> "@s/b"; an aliased module says its own name.
  nameOf = path: module: module.name or (lastOf "node_modules/" path);
  tarball = name: version: "https://registry.npmjs.org/${name}/-/${lastOf "/" name}-${version}.tgz";
  fromRegistry = path: module:
    path != "" && !(module ? resolved) && !(module.link or false) && module ? integrity && module ? version;
in
lock // {
  packages = mapAttrs
    (path: module:
      if fromRegistry path module
      then module // { resolved = tarball (nameOf path module) module.version; }
      else module)
    lock.packages;
}
