# script/lib/containers.sh: podman set-up and the base images, for script/test-deploy.
# Needs say/die (script/lib/stack.sh) and ROOT.
#
# podman runs rootful with runc and cgroupfs and without default ulimits, from a
# containers.conf of our own (CONTAINERS_CONF), so the machine's files stay as they are.
# The base images the Dockerfiles name (debian:12-slim, postgres:15) are used when the
# machine has them (pulled or built before); otherwise they are built from Debian's
# packages (debootstrap from deb.debian.org), since no image registry may be reachable,
# and kept in podman's storage for the next run.

CT_CACHE=${CT_CACHE:-/var/cache/lafete-deploy}

ct_setup() {
	mkdir -p "$CT_CACHE"
	CONTAINERS_CONF=$CT_CACHE/containers.conf
	cat > "$CONTAINERS_CONF" <<'CONF'
# written by script/lib/containers.sh
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
CONF
	export CONTAINERS_CONF
	command -v podman >/dev/null || die "podman is missing (script/bootstrap --deploy installs it)"
}

# Can this machine run a container at all? Prints the reason when it cannot.
ct_works() {
	podman run --rm --network none docker.io/library/debian:12-slim true 2>&1
}

ct_base_debian() {
	podman image exists docker.io/library/debian:12-slim && return 0
	command -v debootstrap >/dev/null || die "debootstrap is missing (script/bootstrap --deploy)"
	say "base image debian:12-slim: debootstrap --variant=minbase bookworm (no registry needed)"
	rootfs=$(mktemp -d /var/tmp/lafete-rootfs.XXXXXX)
	debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$rootfs.log" 2>&1 ||
		{ tail -20 "$rootfs.log" >&2; rm -rf "$rootfs"; die "debootstrap failed"; }
	cat > "$rootfs/etc/apt/sources.list" <<'SRC'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SRC
	# slim: no documentation, manual pages or translations now or in later installs
	cat > "$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM
	cat > "$rootfs/etc/apt/apt.conf.d/slim" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::GzipIndexes "true";
APT
	find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/cache/apt/archives/*.deb \
		"$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
		"$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
	find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
	: > "$rootfs/etc/resolv.conf"; : > "$rootfs/etc/hostname"
	tar -C "$rootfs" --numeric-owner -c . |
		podman import --change 'CMD ["bash"]' - docker.io/library/debian:12-slim >/dev/null ||
		{ rm -rf "$rootfs"; die "podman import failed"; }
	rm -rf "$rootfs" "$rootfs.log"
}

ct_base_postgres() {
	podman image exists docker.io/library/postgres:15 && return 0
	say "base image postgres:15: from Debian's postgresql-15 (docker/base/postgres)"
	podman build -q --network host -t docker.io/library/postgres:15 "$ROOT/docker/base/postgres" >/dev/null ||
		die "building postgres:15 failed"
}

ct_base_images() {
	# one builder at a time on this machine; the others wait and reuse its images
	exec 9>"$CT_CACHE/base-images.lock"
	flock 9
	ct_base_debian
	ct_base_postgres
	flock -u 9
}
