#include "server/net/listen_queue.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "server/util/unique_fd.hpp"

namespace gantry::server {
namespace {

// linux/inet_diag.h's INET_DIAG_NOCOOKIE: "any socket with this inode".
constexpr std::uint32_t no_cookie = ~0U;

int socket_option(int fd, int name) noexcept {
    int value = -1;
    socklen_t len = sizeof value;
    return getsockopt(fd, SOL_SOCKET, name, &value, &len) == 0 ? value : -1;
}

listen_queue read_tcp(int fd) noexcept {
    tcp_info info{};
    socklen_t len = sizeof info;
    // On a listener the kernel reuses two fields (tcp_get_info(): "sk_ack_backlog" and
    // "sk_max_ack_backlog").
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || info.tcpi_state != TCP_LISTEN) {
        return {};
    }
    return {.known = true, .depth = info.tcpi_unacked, .max = info.tcpi_sacked};
}

// Asks the kernel about the unix socket with inode `inode`, its queue lengths included. An
// exact lookup (no NLM_F_DUMP): the kernel answers with one message, or an NLMSG_ERROR.
bool send_unix_diag_request(int netlink, std::uint32_t inode) noexcept {
    struct {
        nlmsghdr head;
        unix_diag_req req;
    } msg{};
    msg.head.nlmsg_len = sizeof msg;
    msg.head.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.head.nlmsg_flags = NLM_F_REQUEST;
    msg.req.sdiag_family = AF_UNIX;
    msg.req.udiag_states = 1U << TCP_LISTEN;
    msg.req.udiag_ino = inode;
    msg.req.udiag_show = UDIAG_SHOW_RQLEN;
    msg.req.udiag_cookie[0] = no_cookie;
    msg.req.udiag_cookie[1] = no_cookie;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    return sendto(netlink, &msg, sizeof msg, 0, reinterpret_cast<const sockaddr*>(&kernel),
                  sizeof kernel) == static_cast<ssize_t>(sizeof msg);
}

// The UNIX_DIAG_RQLEN attribute among a reply's `room` bytes of attributes: for a listening
// socket, sk_diag_show_rqlen() puts the accept queue and the backlog there.
listen_queue rqlen_attribute(const char* attrs, std::size_t room) noexcept {
    while (room >= sizeof(rtattr)) {
        const auto* attr = reinterpret_cast<const rtattr*>(attrs);
        if (attr->rta_len < sizeof(rtattr) || attr->rta_len > room) {
            return {};
        }
        if (attr->rta_type == UNIX_DIAG_RQLEN &&
            attr->rta_len >= RTA_LENGTH(sizeof(unix_diag_rqlen))) {
            unix_diag_rqlen q{};
            std::memcpy(&q, RTA_DATA(attr), sizeof q);
            return {.known = true, .depth = q.udiag_rqueue, .max = q.udiag_wqueue};
        }
        const std::size_t step = std::min<std::size_t>(RTA_ALIGN(attr->rta_len), room);
        attrs += step;
        room -= step;
    }
    return {};
}

// Walks the kernel's reply to send_unix_diag_request() for the listening socket `inode`.
listen_queue read_unix_diag_reply(int netlink, std::uint32_t inode) noexcept {
    alignas(nlmsghdr) char buf[8192];
    // The kernel queued its answer before sendto() returned: never wait for one.
    const ssize_t got = recv(netlink, buf, sizeof buf, MSG_DONTWAIT);
    std::size_t left = got > 0 ? static_cast<std::size_t>(got) : 0;
    for (const char* at = buf; left >= sizeof(nlmsghdr);) {
        const auto* head = reinterpret_cast<const nlmsghdr*>(at);
        if (head->nlmsg_len < sizeof(nlmsghdr) || head->nlmsg_len > left ||
            head->nlmsg_type == NLMSG_ERROR || head->nlmsg_type == NLMSG_DONE) {
            return {};
        }
        const auto* msg = static_cast<const unix_diag_msg*>(NLMSG_DATA(head));
        if (head->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
            head->nlmsg_len >= NLMSG_LENGTH(sizeof *msg) && msg->udiag_ino == inode) {
            if (msg->udiag_state != TCP_LISTEN) {
                return {};  // then the attribute holds bytes unread and unsent
            }
            return rqlen_attribute(at + NLMSG_LENGTH(sizeof *msg),
                                   head->nlmsg_len - NLMSG_LENGTH(sizeof *msg));
        }
        const std::size_t step = std::min<std::size_t>(NLMSG_ALIGN(head->nlmsg_len), left);
        at += step;
        left -= step;
    }
    return {};
}

listen_queue read_unix(int fd) noexcept {
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        return {};
    }
    const unique_fd netlink(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!netlink) {
        return {};
    }
    // Socket inodes come from get_next_ino(), an unsigned int: udiag_ino holds them all.
    const auto inode = static_cast<std::uint32_t>(st.st_ino);
    if (!send_unix_diag_request(netlink.get(), inode)) {
        return {};
    }
    return read_unix_diag_reply(netlink.get(), inode);
}

}  // namespace

listen_queue read_listen_queue(int fd) noexcept {
    if (socket_option(fd, SO_TYPE) != SOCK_STREAM) {
        return {};  // not a socket (ENOTSOCK), or not a stream one
    }
    switch (socket_option(fd, SO_DOMAIN)) {
        case AF_INET:
        case AF_INET6:
            return read_tcp(fd);
        case AF_UNIX:
            return read_unix(fd);
        default:
            return {};
    }
}

}  // namespace gantry::server
