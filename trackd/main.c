/* trackd: the track server. main() reads the options, opens the track
 * while still privileged, binds, drops to --user, serves with MHD's
 * thread pool, ticks the publish side once a second, and on SIGTERM stops
 * accepting and lets requests in flight finish. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

/* Each connection's buffer for its request line and headers (MHD's pool):
 * above TRACKD_HEADERS_MAX so that trackd's own 431 answers first, and no
 * larger, as MHD clears the used part of it between requests. */
#define CONN_MEMORY 16384

static const char usage_text[] =
	"usage: trackd --track DIR --listen HOST:PORT --online-key ONLINE.key [OPTION...]\n"
	"       trackd --track DIR --listen HOST:PORT --mirror URL --mirror-root ROOT.pub [OPTION...]\n"
	"Serve a signed track directory over HTTP and accept signed publishes to it.\n"
	"\n"
	"  --track DIR               the track directory to serve\n"
	"  --listen HOST:PORT        address to listen on; [ADDRESS]:PORT for IPv6\n"
	"  --online-key FILE         the online key: signs targets, snapshot, timestamp\n"
	"  --mirror URL              follow the track at URL instead (no publishes)\n"
	"  --mirror-root FILE        the upstream's root public key\n"
	"  --mirror-interval SECONDS between refreshes of the upstream (default 60)\n"
	"  --user NAME               drop to this user after binding\n"
	"  --max-upload BYTES        largest publish body (default 536870912)\n"
	"  --max-conn-per-peer N     connections one address may hold (default 64)\n"
	"  --timeout SECONDS         idle limit for a connection (default 30)\n"
	"  --threads N               serving threads (default: one per CPU)\n"
	"  --help, --version\n";

static void die_usage(const char *fmt, const char *arg)
{
	fputs("trackd: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\ntrackd: hint: trackd --help lists the options\n", stderr);
	exit(2);
}

static void die(const struct nip_error *err)
{
	fprintf(stderr, "trackd: error: %s\n", err->msg);
	exit(nip_err_exit_status(err->code));
}

static uint64_t number(const char *opt, const char *s, int64_t min, int64_t max)
{
	int64_t v;

	if (nip_parse_i64(s, min, max, &v) < 0) {
		fprintf(stderr, "trackd: error: %s '%s': not a number in %lld..%lld\n", opt, s,
			(long long)min, (long long)max);
		exit(2);
	}
	return (uint64_t)v;
}

static void parse_args(int argc, char **argv, struct trackd_config *cfg)
{
	enum { O_TRACK = 256, O_LISTEN, O_ONLINE, O_MIRROR, O_MROOT, O_MINT, O_USER, O_MAXUP,
	       O_MAXCONN, O_TIMEOUT, O_THREADS, O_HELP, O_VERSION };
	static const struct option opts[] = {
		{"track", required_argument, NULL, O_TRACK},
		{"listen", required_argument, NULL, O_LISTEN},
		{"online-key", required_argument, NULL, O_ONLINE},
		{"mirror", required_argument, NULL, O_MIRROR},
		{"mirror-root", required_argument, NULL, O_MROOT},
		{"mirror-interval", required_argument, NULL, O_MINT},
		{"user", required_argument, NULL, O_USER},
		{"max-upload", required_argument, NULL, O_MAXUP},
		{"max-conn-per-peer", required_argument, NULL, O_MAXCONN},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"threads", required_argument, NULL, O_THREADS},
		{"help", no_argument, NULL, O_HELP},
		{"version", no_argument, NULL, O_VERSION},
		{NULL, 0, NULL, 0},
	};
	int c;

	*cfg = (struct trackd_config){
		.mirror_interval = 60,
		.max_upload = 512ull << 20,
		.max_conn_per_peer = 64,
		.timeout = 30,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_TRACK: cfg->track_dir = optarg; break;
		case O_LISTEN: cfg->listen = optarg; break;
		case O_ONLINE: cfg->online_key = optarg; break;
		case O_MIRROR: cfg->mirror_url = optarg; break;
		case O_MROOT: cfg->mirror_root = optarg; break;
		case O_MINT:
			cfg->mirror_interval = (unsigned)number("--mirror-interval", optarg, 1, 86400);
			break;
		case O_USER: cfg->user = optarg; break;
		case O_MAXUP:
			cfg->max_upload = number("--max-upload", optarg, 1, INT64_MAX);
			break;
		case O_MAXCONN:
			cfg->max_conn_per_peer =
				(unsigned)number("--max-conn-per-peer", optarg, 1, 100000);
			break;
		case O_TIMEOUT:
			cfg->timeout = (unsigned)number("--timeout", optarg, 1, 86400);
			break;
		case O_THREADS:
			cfg->threads = (unsigned)number("--threads", optarg, 0, 1024);
			break;
		case O_HELP:
			fputs(usage_text, stdout);
			exit(0);
		case O_VERSION:
			puts("trackd " NIP_VERSION);
			exit(0);
		default:
			die_usage("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!cfg->track_dir)
		die_usage("%s", "--track DIR is required");
	if (!cfg->listen)
		die_usage("%s", "--listen HOST:PORT is required");
	if (!cfg->mirror_url && !cfg->online_key)
		die_usage("%s", "--online-key is required (or --mirror URL)");
	if (cfg->mirror_url && !cfg->mirror_root)
		die_usage("%s", "--mirror needs --mirror-root ROOT.pub");
	if (!cfg->mirror_url && cfg->mirror_root)
		die_usage("%s", "--mirror-root needs --mirror URL");
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	trackd_log("warn", "mhd: %s", msg);
}

/* The ticker: trackd_tick about once a second until stopped. */
struct ticker {
	struct trackd_server *srv;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

static void *tick_loop(void *arg)
{
	struct ticker *tk = arg;
	struct timespec when;

	pthread_mutex_lock(&tk->mu);
	while (!tk->stop) {
		clock_gettime(CLOCK_MONOTONIC, &when);
		when.tv_sec += 1;
		while (!tk->stop && pthread_cond_timedwait(&tk->cv, &tk->mu, &when) != ETIMEDOUT)
			;
		if (tk->stop)
			break;
		pthread_mutex_unlock(&tk->mu);
		struct nip_error err = {0};
		trackd_log_flush_all(tk->srv);
		if (trackd_tick(tk->srv->track, &err) < 0)
			trackd_log("error", "tick: %s", err.msg);
		pthread_mutex_lock(&tk->mu);
	}
	pthread_mutex_unlock(&tk->mu);
	return NULL;
}

/* After MHD stops accepting: wait for requests in flight, up to the
 * grace period; a second signal cuts the wait short. A publish is always
 * waited for, past the grace too: its thread uses the track and the
 * connection, which the stop frees. A second signal then exits at once,
 * which a publish survives as it survives a crash (old or new state). */
static void drain(struct trackd_server *srv, const sigset_t *sigs)
{
	struct timespec step = {0, 50 * 1000 * 1000};
	int waited_ms = 0, grace_over = 0;

	while (atomic_load(&srv->inflight) > 0 && !(grace_over && atomic_load(&srv->publishes) == 0)) {
		if (sigtimedwait(sigs, NULL, &step) > 0) {
			if (atomic_load(&srv->publishes) > 0) {
				trackd_log("warn", "second signal during a publish: exiting now");
				trackd_log_flush_all(srv);
				_exit(1);
			}
			trackd_log("warn", "second signal: stopping now");
			return;
		}
		waited_ms += 50;
		if (!grace_over && waited_ms >= TRACKD_GRACE_SECONDS * 1000) {
			grace_over = 1;
			trackd_log("warn", "%d requests still in flight after %d s: cutting them%s",
				   atomic_load(&srv->inflight), TRACKD_GRACE_SECONDS,
				   atomic_load(&srv->publishes) ? " once the publishes end" : "");
		}
	}
}

int main(int argc, char **argv)
{
	struct trackd_config cfg;
	struct trackd_server srv = {.logs_mu = PTHREAD_MUTEX_INITIALIZER};
	struct nip_error err = {0};
	struct ticker tk = {.mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_condattr_t ca;
	pthread_t tick_thread;
	struct MHD_Daemon *d;
	char addr[INET6_ADDRSTRLEN];
	unsigned port, threads;
	sigset_t sigs;
	int lfd = -1, sig;

	parse_args(argc, argv, &cfg);
	srv.cfg = &cfg;
	srv.tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	/* Keys and directories first, while root can still read them; a
	 * mirror's directory is made there, so it is opened after. */
	if (trackd_track_open(&cfg, &srv.track, &err) < 0) {
		nip_err_prefix(&err, "opening the track %s", cfg.track_dir);
		die(&err);
	}
	srv.dirfd = open(cfg.track_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (srv.dirfd < 0) {
		nip_err_sys(&err, NIP_E_USAGE, errno, "--track %s", cfg.track_dir);
		die(&err);
	}
	if (trackd_listen(cfg.listen, &lfd, addr, sizeof addr, &port, &err) < 0)
		die(&err);
	if (cfg.user && trackd_drop_to(cfg.user, &err) < 0)
		die(&err);

	/* The signals are taken by sigwait below; every thread made from
	 * here on inherits the mask. MHD writes with MSG_NOSIGNAL, but
	 * sendfile(2) to a closed peer still raises SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	threads = cfg.threads;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 && n < 1024 ? (unsigned)n : 1;
	}
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
		0, NULL, NULL, trackd_handle, &srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
		MHD_OPTION_LISTEN_SOCKET, lfd,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg.timeout,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg.max_conn_per_peer,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_URI_LOG_CALLBACK, trackd_uri_begin, &srv,
		MHD_OPTION_NOTIFY_COMPLETED, trackd_completed, &srv,
		MHD_OPTION_UNESCAPE_CALLBACK, trackd_unescape_cb, NULL,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "trackd: error: starting the HTTP server on %s failed\n", cfg.listen);
		return 1;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tk.cv, &ca);
	tk.srv = &srv;
	if (pthread_create(&tick_thread, NULL, tick_loop, &tk) != 0) {
		fprintf(stderr, "trackd: error: starting the ticker thread failed\n");
		MHD_stop_daemon(d);
		return 1;
	}
	trackd_log("info", "serving %s on %s port %u with %u threads", cfg.track_dir, addr, port,
		   threads);

	do
		sig = sigwaitinfo(&sigs, NULL);
	while (sig < 0 && errno == EINTR);
	trackd_log("info", "signal %d: no new connections; finishing %d requests in flight", sig,
		   atomic_load(&srv.inflight));
	lfd = MHD_quiesce_daemon(d);
	if (lfd >= 0)
		close(lfd);
	drain(&srv, &sigs);

	pthread_mutex_lock(&tk.mu);
	tk.stop = 1;
	pthread_cond_signal(&tk.cv);
	pthread_mutex_unlock(&tk.mu);
	pthread_join(tick_thread, NULL);
	MHD_stop_daemon(d);
	trackd_log_free_all(&srv);
	trackd_track_free(srv.track);
	close(srv.dirfd);
	trackd_log("info", "stopped");
	return 0;
}
