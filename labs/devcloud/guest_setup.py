#!/usr/bin/python3
"""Idempotently create devcloud's network and controller-guest resources (run by up.sh).

Usage: guest_setup.py HOST PASSWORD GUEST_DIR SSH_PUBKEY_FILE
  network devcloud-provider: flat, physnet1 (the veth into the namespace devcloud-net), shared, port
          security off (no ebtables rules: NOTES.md, networking failure d); subnet 10.99.0.0/24 with DHCP,
          no gateway, no DNS (the host is 10.99.0.1, inside devcloud-net only)
  flavor  devcloud.controller (id devcloud-controller): 1 vCPU, 512 MiB, 3 GiB disk
  images  devcloud-controller (qcow2) + devcloud-controller-kernel (aki) + devcloud-controller-ramdisk (ari)
          from GUEST_DIR (guest/build.sh's cache folder); property devcloud_guest_key = the build key, so a
          new build is uploaded once and an older one is renamed devcloud-controller-<key> (snapshots made
          from it still boot: they point at its kernel and ramdisk)
  keypair devcloud (admin's), from SSH_PUBKEY_FILE
"""
import sys
import time

from keystoneauth1 import session
from keystoneauth1.identity import v3

HOST, PASS, GUEST, PUBKEY = sys.argv[1:5]
s = session.Session(auth=v3.Password(
    auth_url="http://%s:5000/v3" % HOST, username="admin", password=PASS,
    user_domain_id="default", project_name="admin", project_domain_id="default"))
NOVA = "http://%s:8774/v2.1" % HOST
GLANCE = "http://%s:9292/v2" % HOST
NEUTRON = "http://%s:9696/v2.0" % HOST
MV = {"OpenStack-API-Version": "compute 2.37", "X-OpenStack-Nova-API-Version": "2.37"}
KEY = open(GUEST + "/KEY").read().strip()


def say(msg):
    print("guest-setup: " + msg, flush=True)


# ---- provider network
nets = s.get(NEUTRON + "/networks?name=devcloud-provider").json()["networks"]
if nets:
    net = nets[0]
else:
    net = s.post(NEUTRON + "/networks", json={"network": {
        "name": "devcloud-provider", "shared": True, "port_security_enabled": False,
        "provider:network_type": "flat", "provider:physical_network": "physnet1"}}).json()["network"]
    say("network devcloud-provider created")
if net.get("port_security_enabled"):
    s.put(NEUTRON + "/networks/" + net["id"], json={"network": {"port_security_enabled": False}})
subs = s.get(NEUTRON + "/subnets?network_id=" + net["id"]).json()["subnets"]
if not subs:
    s.post(NEUTRON + "/subnets", json={"subnet": {
        "name": "devcloud-provider-subnet", "network_id": net["id"], "ip_version": 4,
        "cidr": "10.99.0.0/24", "gateway_ip": None, "enable_dhcp": True, "dns_nameservers": [],
        "allocation_pools": [{"start": "10.99.0.10", "end": "10.99.0.250"}]}})
    say("subnet devcloud-provider-subnet created (10.99.0.0/24, no gateway, no DNS)")

# ---- flavor
flavors = s.get(NOVA + "/flavors?is_public=None", headers=MV).json()["flavors"]
if not any(f["id"] == "devcloud-controller" for f in flavors):
    s.post(NOVA + "/flavors", headers=MV, json={"flavor": {
        "name": "devcloud.controller", "ram": 512, "vcpus": 1, "disk": 3, "id": "devcloud-controller"}})
    say("flavor devcloud.controller created")

# ---- keypair
pub = open(PUBKEY).read().strip()
kp = s.get(NOVA + "/os-keypairs/devcloud", raise_exc=False)
if kp.status_code == 200 and kp.json()["keypair"]["public_key"].strip() != pub:
    s.delete(NOVA + "/os-keypairs/devcloud")
    kp.status_code = 404
if kp.status_code == 404:
    s.post(NOVA + "/os-keypairs", json={"keypair": {"name": "devcloud", "public_key": pub}})
    say("keypair devcloud created")


# ---- images
def upload(name, path, disk, container, props):
    img = s.post(GLANCE + "/images", json=dict(
        name=name, disk_format=disk, container_format=container, visibility="public", **props)).json()
    with open(path, "rb") as f:
        s.put(GLANCE + "/images/%s/file" % img["id"], data=f,
              headers={"Content-Type": "application/octet-stream"})
    for _ in range(60):
        st = s.get(GLANCE + "/images/" + img["id"]).json()["status"]
        if st == "active":
            return img["id"]
        time.sleep(0.5)
    sys.exit("guest-setup: image %s stayed %s" % (name, st))


def rename(img, name):
    s.patch(GLANCE + "/images/" + img["id"], json=[{"op": "replace", "path": "/name", "value": name}],
            headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})


current = None
for img in s.get(GLANCE + "/images?name=devcloud-controller").json()["images"]:
    if img.get("devcloud_guest_key") == KEY and img["status"] == "active":
        current = img
    elif img["status"] != "active":
        s.delete(GLANCE + "/images/" + img["id"])          # an interrupted upload
    else:
        old = img.get("devcloud_guest_key", "old")
        rename(img, "devcloud-controller-" + old)
        for part in ("kernel", "ramdisk"):
            for o in s.get(GLANCE + "/images?name=devcloud-controller-" + part).json()["images"]:
                if o.get("devcloud_guest_key") == old:
                    rename(o, "devcloud-controller-%s-%s" % (part, old))
        say("older controller image renamed devcloud-controller-" + old)
if current:
    say("image devcloud-controller present (build %s)" % KEY)
else:
    t = time.time()
    for part in ("kernel", "ramdisk"):       # leftovers of an interrupted run with this key
        for o in s.get(GLANCE + "/images?name=devcloud-controller-" + part).json()["images"]:
            if o.get("devcloud_guest_key") == KEY:
                s.delete(GLANCE + "/images/" + o["id"])
    kernel = upload("devcloud-controller-kernel", GUEST + "/vmlinuz", "aki", "aki", {"devcloud_guest_key": KEY})
    ramdisk = upload("devcloud-controller-ramdisk", GUEST + "/initrd.img", "ari", "ari", {"devcloud_guest_key": KEY})
    upload("devcloud-controller", GUEST + "/root.qcow2", "qcow2", "bare", {
        "devcloud_guest_key": KEY, "kernel_id": kernel, "ramdisk_id": ramdisk,
        "os_command_line": "root=/dev/vda rw console=ttyS0 mitigations=off",
        # nova gives this guest an ACPI shutdown (up to 120 s) on stop; nova.conf's shutdown_timeout
        # stays 0 for the OS-less tiny images
        "os_shutdown_timeout": "120",
        "hw_disk_bus": "virtio", "hw_vif_model": "virtio", "os_type": "linux", "os_distro": "debian"})
    say("image devcloud-controller uploaded (build %s) in %.1fs" % (KEY, time.time() - t))
