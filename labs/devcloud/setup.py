#!/usr/bin/python3
"""Idempotently set up what devcloud's users need inside its services, in phases, through ONE Keystone
session per run (run by up.sh; keystoneauth in one process is much faster than ~40 `openstack` CLI calls).

Usage: setup.py HOST PHASE [ARG...] [PHASE [ARG...]]...   (admin's password on stdin, one line)
  keystone                     the service project, service users (password = admin's), roles, the Heat stack
                               domain and the service catalog (up.sh: right after Keystone starts)
  resources TINY_QCOW2         flavor devcloud.tiny: 1 vCPU, 64 MiB RAM, 1 GiB root disk (public); image
                               devcloud-tiny: a blank 1 MiB qcow2 (no OS; qemu runs it, SeaBIOS finds nothing
                               to boot) (public); room for 200 of those servers: admin's nova quota (checked
                               through /limits) and placement capacity (Glance needs nothing: in Zed it counts
                               no images unless use_keystone_limits, user_storage_quota is 0)
  guest GUEST_DIR SSH_PUBKEY   network devcloud-provider: flat, physnet1 (the veth into the namespace
                               devcloud-net), shared, port security off (no ebtables rules: NOTES.md,
                               networking failure d); subnet 10.99.0.0/24 with DHCP, no gateway, no DNS (the
                               host is 10.99.0.1, inside devcloud-net only); flavor devcloud.controller (id
                               devcloud-controller): 1 vCPU, 512 MiB, 3 GiB disk; images devcloud-controller
                               (qcow2) + devcloud-controller-kernel (aki) + devcloud-controller-ramdisk (ari)
                               from GUEST_DIR (guest/build.sh's cache folder), property devcloud_guest_key =
                               the build key, so a new build is uploaded once and an older one is renamed
                               devcloud-controller-<key> (snapshots made from it still boot: they point at its
                               kernel and ramdisk); keypair devcloud (admin's), from SSH_PUBKEY
Each phase prints what it found or made ("keystone: ...", "resources: ...", "guest-setup: ..."); a phase
that finds everything in place changes nothing (service users get admin's password again: the same one).
The password is read from stdin so that it is in no command line and no environment.
"""
import sys
import time

from keystoneauth1 import session
from keystoneauth1.identity import v3

PHASES = {"keystone": 0, "resources": 1, "guest": 2}   # phase -> number of arguments
HOST = sys.argv[1] if len(sys.argv) > 1 else ""
PASS = sys.stdin.readline().rstrip("\n")
KS = "http://%s:5000/v3" % HOST
NOVA = "http://%s:8774/v2.1" % HOST
GLANCE = "http://%s:9292/v2" % HOST
NEUTRON = "http://%s:9696/v2.0" % HOST
PLACEMENT = "http://%s:8778" % HOST
REGION = "RegionOne"
MV = {"OpenStack-API-Version": "compute 2.37", "X-OpenStack-Nova-API-Version": "2.37"}

s = session.Session(auth=v3.Password(
    auth_url=KS, username="admin", password=PASS,
    user_domain_id="default", project_name="admin", project_domain_id="default"))


# ---------------------------------------------------------------- keystone
def ks_get(path, **params):
    return s.get(KS + path, params=params).json()


def ks_post(path, body):
    return s.post(KS + path, json=body).json()


def ensure_role(name):
    r = ks_get("/roles", name=name)["roles"]
    return r[0]["id"] if r else ks_post("/roles", {"role": {"name": name}})["role"]["id"]


def ensure_domain(name):
    d = ks_get("/domains", name=name)["domains"]
    if d:
        return d[0]["id"]
    return ks_post("/domains", {"domain": {"name": name, "description": "Heat stack users"}})["domain"]["id"]


def ensure_project(name, domain_id="default"):
    p = ks_get("/projects", name=name, domain_id=domain_id)["projects"]
    if p:
        return p[0]["id"]
    return ks_post("/projects", {"project": {"name": name, "domain_id": domain_id}})["project"]["id"]


def ensure_user(name, domain_id="default"):
    u = ks_get("/users", name=name, domain_id=domain_id)["users"]
    if u:
        uid = u[0]["id"]
        # keep the password in sync with this run's password
        s.patch(KS + "/users/" + uid, json={"user": {"password": PASS}})
        return uid
    return ks_post("/users", {"user": {"name": name, "domain_id": domain_id,
                                       "password": PASS, "enabled": True}})["user"]["id"]


def grant(target, target_id, user_id, role_id):   # target: projects or domains
    s.put(KS + "/%s/%s/users/%s/roles/%s" % (target, target_id, user_id, role_id))


def ensure_service(stype, name):
    sv = [x for x in ks_get("/services", type=stype)["services"] if x["name"] == name]
    if sv:
        return sv[0]["id"]
    return ks_post("/services", {"service": {"type": stype, "name": name, "enabled": True}})["service"]["id"]


def ensure_endpoints(service_id, url):
    eps = ks_get("/endpoints", service_id=service_id)["endpoints"]
    for iface in ("public", "internal", "admin"):
        mine = [e for e in eps if e["interface"] == iface]
        if mine:
            e = mine[0]
            if e["url"] != url or e.get("region_id") != REGION:
                s.patch(KS + "/endpoints/" + e["id"], json={"endpoint": {"url": url, "region_id": REGION}})
            for extra in mine[1:]:
                s.delete(KS + "/endpoints/" + extra["id"])
        else:
            ks_post("/endpoints", {"endpoint": {"service_id": service_id, "interface": iface,
                                                "url": url, "region_id": REGION, "enabled": True}})


def keystone():
    admin_role = ensure_role("admin")
    service_role = ensure_role("service")
    ensure_role("member")
    ensure_role("reader")
    owner_role = ensure_role("heat_stack_owner")
    ensure_role("heat_stack_user")

    service_pid = ensure_project("service")
    admin_pid = ensure_project("admin")
    admin_uid = ks_get("/users", name="admin", domain_id="default")["users"][0]["id"]
    grant("projects", admin_pid, admin_uid, owner_role)

    for svc in ("glance", "nova", "placement", "neutron", "heat"):
        uid = ensure_user(svc)
        grant("projects", service_pid, uid, admin_role)
        grant("projects", service_pid, uid, service_role)

    heat_did = ensure_domain("heat")
    hda = ensure_user("heat_domain_admin", heat_did)
    grant("domains", heat_did, hda, admin_role)

    catalog = [
        ("image", "glance", "http://%s:9292" % HOST),
        ("placement", "placement", PLACEMENT),
        ("compute", "nova", NOVA),
        ("network", "neutron", "http://%s:9696" % HOST),
        ("orchestration", "heat", "http://%s:8004/v1/%%(tenant_id)s" % HOST),
    ]
    for stype, name, url in catalog:
        ensure_endpoints(ensure_service(stype, name), url)
    print("keystone: roles, service users, heat domain and %d catalog services ensured" % (len(catalog) + 1))


# ---------------------------------------------------------------- shared by resources and guest
def ensure_flavor(flavor_id, name, ram, vcpus, disk):
    """True when it was created."""
    flavors = s.get(NOVA + "/flavors?is_public=None", headers=MV).json()["flavors"]
    if any(f["id"] == flavor_id for f in flavors):
        return False
    s.post(NOVA + "/flavors", headers=MV, json={"flavor": {
        "name": name, "ram": ram, "vcpus": vcpus, "disk": disk, "id": flavor_id}})
    return True


def upload(name, path, disk, container, props, tries=60, pause=0.5):
    """A new public image from a file; returns (id, status once active or after the tries)."""
    img = s.post(GLANCE + "/images", json=dict(
        name=name, disk_format=disk, container_format=container, visibility="public", **props)).json()
    with open(path, "rb") as f:
        s.put(GLANCE + "/images/%s/file" % img["id"], data=f,
              headers={"Content-Type": "application/octet-stream"})
    st = None
    for _ in range(tries):
        st = s.get(GLANCE + "/images/" + img["id"]).json()["status"]
        if st == "active":
            break
        time.sleep(pause)
    return img["id"], st


# ---------------------------------------------------------------- resources
def resources(tiny):
    created = ensure_flavor("devcloud-tiny", "devcloud.tiny", 64, 1, 1)
    print("resources: flavor devcloud.tiny %s" % ("created" if created else "present"))

    imgs = s.get(GLANCE + "/images?name=devcloud-tiny").json()["images"]
    active = [i for i in imgs if i["status"] == "active"]
    for i in imgs:
        if i["status"] != "active":           # leftovers of an interrupted run
            s.delete(GLANCE + "/images/" + i["id"])
    if active:
        print("resources: image devcloud-tiny present (%s)" % active[0]["id"])
    else:
        image_id, st = upload("devcloud-tiny", tiny, "qcow2", "bare", {"min_disk": 0, "min_ram": 0}, 30, 1)
        print("resources: image devcloud-tiny uploaded (%s, %s)" % (image_id, st))

    # Room for scale tests: the default quotas (10 instances, 20 cores, 50 GiB RAM) stop at 10 servers.
    proj = s.get_project_id()
    s.put(NOVA + "/os-quota-sets/" + proj, headers=MV, json={"quota_set": {
        "instances": 200, "cores": 400, "ram": 409600}})
    lim = s.get(NOVA + "/limits", headers=MV).json()["limits"]["absolute"]
    if not all(lim[k] == -1 or lim[k] >= v for k, v in
               (("maxTotalInstances", 200), ("maxTotalCores", 400), ("maxTotalRAMSize", 409600))):
        sys.exit("resources: nova limits did not take the quota: %r" % lim)
    print("resources: admin project quota: %d instances, %d cores, %d MiB RAM (nova /limits; in use: %d, %d, %d)" % (
        lim["maxTotalInstances"], lim["maxTotalCores"], lim["maxTotalRAMSize"],
        lim["totalInstancesUsed"], lim["totalCoresUsed"], lim["totalRAMUsed"]))

    # Room in placement: a 2-core host with the default cpu_allocation_ratio 16 holds only 32 one-vCPU servers.
    # nova.conf sets cpu_allocation_ratio 128 / ram_allocation_ratio 3; a nova-compute started with an older
    # nova.conf (ratio unset) keeps whatever placement has, so raise it there when it is short.
    want = {"VCPU": (200, 128.0), "MEMORY_MB": (200 * 64, 3.0)}   # capacity for 200 devcloud.tiny servers
    for rp in s.get(PLACEMENT + "/resource_providers").json()["resource_providers"]:
        url = PLACEMENT + "/resource_providers/%s/inventories" % rp["uuid"]
        inv = s.get(url).json()
        changed = False
        for rc, (need, ratio) in want.items():
            i = inv["inventories"].get(rc)
            if i and (i["total"] - i["reserved"]) * i["allocation_ratio"] < need and i["allocation_ratio"] < ratio:
                i["allocation_ratio"] = ratio
                changed = True
        if changed:
            s.put(url, json=inv)
        cap = {rc: int((i["total"] - i["reserved"]) * i["allocation_ratio"]) for rc, i in inv["inventories"].items()}
        print("resources: placement capacity of %s: %s%s" % (
            rp["name"], ", ".join("%s %d" % kv for kv in sorted(cap.items())), " (ratios raised)" if changed else ""))


# ---------------------------------------------------------------- guest
def say(msg):
    print("guest-setup: " + msg, flush=True)


def rename(img, name):
    s.patch(GLANCE + "/images/" + img["id"], json=[{"op": "replace", "path": "/name", "value": name}],
            headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})


def guest(guest_dir, pubkey_file):
    key = open(guest_dir + "/KEY").read().strip()
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
    if ensure_flavor("devcloud-controller", "devcloud.controller", 512, 1, 3):
        say("flavor devcloud.controller created")

    # ---- keypair
    pub = open(pubkey_file).read().strip()
    kp = s.get(NOVA + "/os-keypairs/devcloud", raise_exc=False)
    if kp.status_code == 200 and kp.json()["keypair"]["public_key"].strip() != pub:
        s.delete(NOVA + "/os-keypairs/devcloud")
        kp.status_code = 404
    if kp.status_code == 404:
        s.post(NOVA + "/os-keypairs", json={"keypair": {"name": "devcloud", "public_key": pub}})
        say("keypair devcloud created")

    # ---- images
    current = None
    for img in s.get(GLANCE + "/images?name=devcloud-controller").json()["images"]:
        if img.get("devcloud_guest_key") == key and img["status"] == "active":
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
        say("image devcloud-controller present (build %s)" % key)
        return
    t = time.time()
    for part in ("kernel", "ramdisk"):       # leftovers of an interrupted run with this key
        for o in s.get(GLANCE + "/images?name=devcloud-controller-" + part).json()["images"]:
            if o.get("devcloud_guest_key") == key:
                s.delete(GLANCE + "/images/" + o["id"])

    def part_image(name, path, disk, props):
        image_id, st = upload(name, path, disk, disk if disk in ("aki", "ari") else "bare", props)
        if st != "active":
            sys.exit("guest-setup: image %s stayed %s" % (name, st))
        return image_id

    kernel = part_image("devcloud-controller-kernel", guest_dir + "/vmlinuz", "aki", {"devcloud_guest_key": key})
    ramdisk = part_image("devcloud-controller-ramdisk", guest_dir + "/initrd.img", "ari", {"devcloud_guest_key": key})
    part_image("devcloud-controller", guest_dir + "/root.qcow2", "qcow2", {
        "devcloud_guest_key": key, "kernel_id": kernel, "ramdisk_id": ramdisk,
        "os_command_line": "root=/dev/vda rw console=ttyS0 mitigations=off",
        # nova gives this guest an ACPI shutdown (up to 120 s) on stop; nova.conf's shutdown_timeout
        # stays 0 for the OS-less tiny images
        "os_shutdown_timeout": "120",
        "hw_disk_bus": "virtio", "hw_vif_model": "virtio", "os_type": "linux", "os_distro": "debian"})
    say("image devcloud-controller uploaded (build %s) in %.1fs" % (key, time.time() - t))


def main(argv):
    """Runs the phases named in argv (after HOST), each with its arguments, in the given order."""
    run, i = [], 0
    while i < len(argv):
        phase = argv[i]
        if phase not in PHASES or i + 1 + PHASES[phase] > len(argv):
            sys.exit("usage: setup.py HOST keystone | resources TINY_QCOW2 | guest GUEST_DIR SSH_PUBKEY ... "
                     "(password on stdin); got %r" % " ".join(argv[i:]))
        run.append((phase, argv[i + 1:i + 1 + PHASES[phase]]))
        i += 1 + PHASES[phase]
    if not run or not HOST or not PASS:
        sys.exit("usage: setup.py HOST PHASE [ARG...]... with the admin password on stdin")
    for phase, args in run:
        {"keystone": keystone, "resources": resources, "guest": guest}[phase](*args)


main(sys.argv[2:])
