# NixOS module: services.flatnetd.
#
#   imports = [ ./nix/module.nix ];
#   services.flatnetd = {
#     enable = true;
#     networks.lan = {
#       parent = "enp3s0"; vlan = 200;
#       subnet = "192.168.88.0/24"; gateway = "192.168.88.1"; ipRange = "192.168.88.192/27";
#       shim = { name = "docker-link"; address = "192.168.88.192/32"; };
#     };
#   };
#
# With services.cockpit.enable (or services.flatnetd.cockpit.enable = true) the
# Cockpit page "Flat networks" is added to Cockpit's packages.
#
# Each network becomes /etc/flatnet.d/<name>.conf (nix/render.nix). The unit is
# the package's own systemd/flatnetd.service, so ordering and hardening are the
# same as on Debian.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.flatnetd;
  render = import ./render.nix;
  inherit (lib) mkEnableOption mkOption mkIf mkMerge types;

  # A string or a list of strings.
  strings = types.coercedTo types.str lib.singleton (types.listOf types.str);

  engineOptions = {
    options = {
      reattach = mkOption {
        type = types.nullOr types.bool;
        default = null;
        description = "Reconnect containers whose interfaces died with a re-made parent; null: the default (yes).";
      };
      create = mkOption {
        type = types.nullOr types.bool;
        default = null;
        description = "Create the engine network when missing, as `flatnetctl docker-args` prints; null: the default (no).";
      };
    };
  };

  shimOptions = {
    options = {
      name = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Shim interface name (at most 15 bytes); null: `shim-<network>`.";
      };
      address = mkOption {
        type = strings;
        default = [ ];
        description = "Addresses of the shim (reserve them in Docker with --aux-address).";
      };
      route = mkOption {
        type = types.nullOr strings;
        default = null;
        description = "Prefixes routed through the shim; null: every ipRange; []: none.";
      };
      macAddress = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Fixed MAC; null: stable, derived from /etc/machine-id and the network name.";
      };
    };
  };

  networkOptions = {
    options = {
      parent = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Parent interface; null: an internal network on a dummy parent.";
      };
      vlan = mkOption {
        type = types.nullOr (types.ints.between 1 4094);
        default = null;
        description = "802.1Q id: the parent becomes <parent>.<vlan>, made if missing.";
      };
      driver = mkOption {
        type = types.nullOr (types.enum [ "macvlan" "ipvlan" ]);
        default = null;
        description = "null: macvlan.";
      };
      mode = mkOption {
        type = types.nullOr (types.enum [ "bridge" "vepa" "private" "passthru" "l2" "l3" "l3s" ]);
        default = null;
        description = "macvlan: bridge|vepa|private|passthru (default bridge); ipvlan: l2|l3|l3s (default l2).";
      };
      ipvlanFlag = mkOption {
        type = types.nullOr (types.enum [ "bridge" "private" "vepa" ]);
        default = null;
      };
      subnet = mkOption {
        type = strings;
        default = [ ];
        description = "Subnets (IPv4 and IPv6); []: follow the parent's current prefix.";
      };
      gateway = mkOption { type = strings; default = [ ]; };
      ipRange = mkOption {
        type = strings;
        default = [ ];
        description = "The containers' --ip-range prefixes.";
      };
      mtu = mkOption { type = types.nullOr (types.ints.between 68 65535); default = null; };
      promiscuous = mkOption { type = types.nullOr types.bool; default = null; };
      shim = mkOption {
        type = types.nullOr (types.submodule shimOptions);
        default = null;
        description = "The host-side interface that lets the host reach its containers.";
      };
      engine = mkOption {
        type = types.nullOr (types.submodule engineOptions);
        default = null;
        description = "The container engine's side ([Engine] in flatnet.d(5)).";
      };
    };
  };

  texts = render.all cfg.networks;

  # The Cockpit page as a package of its own, so Cockpit finds it under
  # /run/current-system/sw/share/cockpit only when asked for.
  cockpitPage = pkgs.runCommand "flatnetd-cockpit" { } ''
    mkdir -p $out/share/cockpit
    cp -r ${cfg.package}/share/flatnetd/cockpit/flatnet $out/share/cockpit/flatnet
  '';
in
{
  options.services.flatnetd = {
    enable = mkEnableOption "flatnetd, the host side of macvlan/ipvlan container networks";
    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      description = "The flatnetd package.";
    };
    cockpit.enable = mkOption {
      type = types.bool;
      default = config.services.cockpit.enable or false;
      description = "Add flatnetd's page (Flat networks) to Cockpit; default: when services.cockpit is enabled.";
    };
    networks = mkOption {
      type = types.attrsOf (types.submodule networkOptions);
      default = { };
      description = "Networks, each written to /etc/flatnet.d/<name>.conf.";
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      environment.etc = lib.mapAttrs' (name: text: lib.nameValuePair (render.fileName name) { inherit text; }) texts
        // { "iproute2/rt_protos.d/flatnet.conf".source = "${cfg.package}/share/iproute2/rt_protos.d/flatnet.conf"; };
      environment.systemPackages = [ cfg.package ];

      # The package's unit, drop-ins, D-Bus policy, udev rule and tmpfiles entry.
      systemd.packages = [ cfg.package ];
      services.dbus.packages = [ cfg.package ];
      services.udev.packages = [ cfg.package ];
      systemd.tmpfiles.rules = [ "d /run/flatnet.d 0755 root root -" ];

      systemd.services.flatnetd = {
        # NixOS ignores [Install] in packaged units.
        wantedBy = [ "multi-user.target" ];
        # /etc/flatnet.d/*.conf are links into /etc/static, which a switch
        # re-points without touching the links. The daemon's watch follows
        # the links, but a reload (SIGHUP) on a changed text applies the new
        # generation at once, with no settle time.
        reloadTriggers = lib.attrValues texts;
      };
    }
    (mkIf cfg.cockpit.enable {
      # Cockpit reads packages from share/cockpit of the system path (XDG_DATA_DIRS).
      environment.systemPackages = [ cockpitPage ];
      environment.pathsToLink = [ "/share/cockpit" ];
    })
    (mkIf config.systemd.network.enable {
      # networkd: leave flatnetd's links alone even if a broad [Match] takes them.
      systemd.network.networks."01-flatnetd-unmanaged" = {
        matchConfig.Property = "ID_NET_MANAGED_BY=org.flatnet.flatnetd";
        linkConfig.Unmanaged = true;
      };
    })
  ]);
}
