// Nodes, links and XY (dimension-order) routing of the W x H mesh.
//
//  - Node (x, y), 0 <= x < width, 0 <= y < height, has id x + y * width.
//  - x grows to the East, y grows to the North: node (x, y) has the East
//    neighbour (x+1, y), West (x-1, y), North (x, y+1), South (x, y-1).
//  - A link is one direction of one channel: (the node it leaves, its
//    direction), index node * 4 + direction. Links off the edge of the mesh
//    do not exist (link_exists()).
//  - XY routing: first along x to the destination's column, then along y.
//    Every route is minimal (hops = |dx| + |dy|) and the channel dependency
//    graph of all routes is acyclic (no turn from y back to x), so the
//    routing cannot deadlock (docs/noc.md).
//  - Every node also has an injection port (its network interface into its
//    router) and an ejection port (router to interface); they are not mesh
//    links and are not in a route, but MeshNoc serializes packets on them.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/noc/noc_params.hpp"

namespace imcvp {

enum class Direction : uint8_t { East = 0, West = 1, North = 2, South = 3 };
constexpr unsigned kMeshDirections = 4;
constexpr std::array<const char*, kMeshDirections> kDirectionNames = {"E", "W", "N", "S"};

struct Link {
  unsigned node = 0;  // the node (router) the link leaves
  Direction dir = Direction::East;
  bool operator==(const Link& o) const { return node == o.node && dir == o.dir; }
  bool operator!=(const Link& o) const { return !(*this == o); }
};

inline unsigned node_id(const MeshParams& p, unsigned x, unsigned y) { return x + y * p.width; }
inline unsigned node_x(const MeshParams& p, unsigned node) { return node % p.width; }
inline unsigned node_y(const MeshParams& p, unsigned node) { return node / p.width; }

// Link index in [0, 4 * nodes): node * 4 + direction, and back.
inline unsigned link_index(const Link& l) {
  return l.node * kMeshDirections + static_cast<unsigned>(l.dir);
}
inline Link link_at(unsigned index) {
  return Link{index / kMeshDirections, static_cast<Direction>(index % kMeshDirections)};
}
// Links of a mesh, counting the indices of edge links that do not exist.
inline unsigned link_slots(const MeshParams& p) { return p.nodes() * kMeshDirections; }

// True when `l` leaves a node of the mesh towards a node of the mesh.
bool link_exists(const MeshParams& p, const Link& l);
// The node `l` leads to (l must exist).
unsigned link_target(const MeshParams& p, const Link& l);
// "(x,y)" and "(x,y)->E".
std::string node_name(const MeshParams& p, unsigned node);

// Boustrophedon ("snake") order: row 0 left to right, row 1 right to left,
// and so on, so that consecutive positions are neighbouring nodes (one hop).
// The platform puts tile n at snake_node(n), so that a layer pipeline over
// tiles 0, 1, 2, ... sends each stage's output one hop.
inline unsigned snake_node(const MeshParams& p, unsigned i) {
  const unsigned y = i / p.width, x = i % p.width;
  return (y % 2 ? p.width - 1 - x : x) + y * p.width;
}
inline unsigned snake_index(const MeshParams& p, unsigned node) {
  const unsigned y = node / p.width, x = node % p.width;
  return (y % 2 ? p.width - 1 - x : x) + y * p.width;
}

// The platform's use of the mesh: `tiles` tiles at snake_node(0..tiles-1)
// and the memory interface at memory_node. The first problem, if any:
// field "" (too few nodes) or "memory_node".
std::optional<MeshParamError> check_node_placement(const MeshParams& p, unsigned tiles, unsigned memory_node);
std::string link_name(const MeshParams& p, const Link& l);

// Throws std::out_of_range("noc: <role> node <n> is outside the W x H mesh
// (nodes 0..N-1)") unless node < nodes(); role is e.g. "source".
void check_node(const MeshParams& p, unsigned node, const char* role);

// |dx| + |dy|: the hops of every minimal route, XY's included.
unsigned xy_hops(const MeshParams& p, unsigned src, unsigned dst);

// Calls f(Link) for each link of the XY route from src to dst, in order.
// No range check (callers check the nodes); allocates nothing: MeshNoc's
// per-transfer walk and xy_route() are this one loop.
template <typename F>
void for_each_xy_link(const MeshParams& p, unsigned src, unsigned dst, F&& f) {
  unsigned x = node_x(p, src), y = node_y(p, src);
  const unsigned dx = node_x(p, dst), dy = node_y(p, dst);
  unsigned node = src;
  for (; x < dx; ++x, ++node) f(Link{node, Direction::East});
  for (; x > dx; --x, --node) f(Link{node, Direction::West});
  for (; y < dy; ++y, node += p.width) f(Link{node, Direction::North});
  for (; y > dy; --y, node -= p.width) f(Link{node, Direction::South});
}

// The XY route from src to dst as its links (empty when src == dst).
// Throws std::out_of_range naming a node outside the mesh.
std::vector<Link> xy_route(const MeshParams& p, unsigned src, unsigned dst);

}  // namespace imcvp
