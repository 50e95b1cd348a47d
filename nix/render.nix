# The text of one /etc/flatnet.d/<name>.conf from a NixOS network attrset.
# Builtins only, so it evaluates without nixpkgs (test/packaging/nix.test.ts
# runs it with nix-instantiate and compares with test/fixtures/nix/).
#
# A network is an attrset; every attribute may be missing or null:
#   parent, vlan, driver, mode, ipvlanFlag, mtu, promiscuous,
#   subnet, gateway, ipRange           (a string or a list of strings)
#   shim = { name, address, route, macAddress }
#   engine = { reattach, create }        ([Engine], flatnet.d(5))
# shim.route = null keeps the daemon's default (every IPRange=); [] writes an
# empty `Route=`, which means "no routes".
let
  inherit (builtins) concatStringsSep isList isBool map toString attrNames;

  get = set: key: if set ? ${key} then set.${key} else null;
  toList = v: if v == null then [ ] else if isList v then v else [ v ];
  value = v: if isBool v then (if v then "yes" else "no") else toString v;

  # `Key=value` for a scalar that is set; nothing for null.
  scalar = key: v: if v == null then [ ] else [ "${key}=${value v}" ];
  # One `Key=value` per element, in order.
  list = key: v: map (x: "${key}=${value x}") (toList v);

  networkSection = net:
    [ "[Network]" ]
    ++ scalar "Parent" (get net "parent")
    ++ scalar "VLAN" (get net "vlan")
    ++ scalar "Driver" (get net "driver")
    ++ scalar "Mode" (get net "mode")
    ++ scalar "IPVlanFlag" (get net "ipvlanFlag")
    ++ list "Subnet" (get net "subnet")
    ++ list "Gateway" (get net "gateway")
    ++ list "IPRange" (get net "ipRange")
    ++ scalar "MTU" (get net "mtu")
    ++ scalar "Promiscuous" (get net "promiscuous");

  shimSection = shim:
    let route = get shim "route"; in
    [ "" "[Shim]" ]
    ++ scalar "Name" (get shim "name")
    ++ list "Address" (get shim "address")
    ++ (if route == null then [ ]
        else if toList route == [ ] then [ "Route=" ]
        else list "Route" route)
    ++ scalar "MACAddress" (get shim "macAddress");

  engineSection = engine:
    let lines = scalar "Reattach" (get engine "reattach") ++ scalar "Create" (get engine "create"); in
    if lines == [ ] then [ ] else [ "" "[Engine]" ] ++ lines;

  network = name: net:
    let shim = get net "shim"; engine = get net "engine"; in
    concatStringsSep "\n" (
      [ "# Written by NixOS from services.flatnetd.networks.${name}; change it there." ]
      ++ networkSection net
      ++ (if shim == null then [ ] else shimSection shim)
      ++ (if engine == null then [ ] else engineSection engine)
    ) + "\n";

  # name -> text, for every network.
  all = networks: builtins.listToAttrs
    (map (name: { inherit name; value = network name networks.${name}; }) (attrNames networks));
in
{
  inherit network all;
  # Where each network's drop-in lives, relative to /etc.
  fileName = name: "flatnet.d/${name}.conf";
}
