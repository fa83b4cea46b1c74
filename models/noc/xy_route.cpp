#include "models/noc/xy_route.hpp"

#include <stdexcept>

namespace imcvp {

bool link_exists(const MeshParams& p, const Link& l) {
  if (l.node >= p.nodes()) return false;
  const unsigned x = node_x(p, l.node), y = node_y(p, l.node);
  switch (l.dir) {
    case Direction::East: return x + 1 < p.width;
    case Direction::West: return x > 0;
    case Direction::North: return y + 1 < p.height;
    case Direction::South: return y > 0;
  }
  return false;
}

unsigned link_target(const MeshParams& p, const Link& l) {
  switch (l.dir) {
    case Direction::East: return l.node + 1;
    case Direction::West: return l.node - 1;
    case Direction::North: return l.node + p.width;
    case Direction::South: return l.node - p.width;
  }
  return l.node;
}

std::string node_name(const MeshParams& p, unsigned node) {
  return "(" + std::to_string(node_x(p, node)) + "," + std::to_string(node_y(p, node)) + ")";
}

std::string link_name(const MeshParams& p, const Link& l) {
  return node_name(p, l.node) + "->" + kDirectionNames[static_cast<unsigned>(l.dir)];
}

void check_node(const MeshParams& p, unsigned node, const char* role) {
  if (node < p.nodes()) return;
  throw std::out_of_range("noc: " + std::string(role) + " node " + std::to_string(node) +
                          " is outside the " + std::to_string(p.width) + " x " +
                          std::to_string(p.height) + " mesh (nodes 0.." +
                          std::to_string(p.nodes() - 1) + ")");
}

unsigned xy_hops(const MeshParams& p, unsigned src, unsigned dst) {
  const unsigned sx = node_x(p, src), sy = node_y(p, src);
  const unsigned dx = node_x(p, dst), dy = node_y(p, dst);
  return (sx > dx ? sx - dx : dx - sx) + (sy > dy ? sy - dy : dy - sy);
}

std::vector<Link> xy_route(const MeshParams& p, unsigned src, unsigned dst) {
  check_node(p, src, "source");
  check_node(p, dst, "destination");
  std::vector<Link> route;
  route.reserve(xy_hops(p, src, dst));
  for_each_xy_link(p, src, dst, [&](const Link& l) { route.push_back(l); });
  return route;
}

std::optional<MeshParamError> check_node_placement(const MeshParams& p, unsigned tiles, unsigned memory_node) {
  if (p.nodes() < tiles + 1)
    return MeshParamError{"", "a " + std::to_string(p.width) + " x " + std::to_string(p.height) + " mesh has " +
                                  std::to_string(p.nodes()) + " nodes; " + std::to_string(tiles) +
                                  " tiles and the memory interface need " + std::to_string(tiles + 1)};
  if (memory_node >= p.nodes())
    return MeshParamError{"memory_node", "node " + std::to_string(memory_node) + " is outside the mesh"};
  if (snake_index(p, memory_node) < tiles)
    return MeshParamError{"memory_node", "node " + node_name(p, memory_node) + " is tile " +
                                             std::to_string(snake_index(p, memory_node)) +
                                             "'s; tile n sits at the n-th node in snake order (row 0 left to "
                                             "right, row 1 right to left, ...)"};
  return std::nullopt;
}

}  // namespace imcvp
