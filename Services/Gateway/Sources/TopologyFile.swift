public import Foundation
public import ORDPRPC

/// The topology file: JSON, at most 1 MiB.
///
/// ```json
/// {
///   "identity":  { "replicas": ["10.0.0.5:7444"] },
///   "catalogue": { "partitions": [
///     { "name": "west", "towns": ["arnsberg", "menden"], "replicas": ["10.0.1.5:7445"] },
///     { "name": "east", "towns": ["soest"], "default": true,
///       "replicas": ["10.0.2.5:7445", "10.0.2.6:7445"] } ] },
///   "analytics": { "partitions": [
///     { "name": "all", "default": true, "replicas": ["10.0.3.5:7446"] } ] }
/// }
/// ```
public enum TopologyFile {
  private struct File: Decodable {
    struct Replicated: Decodable { var replicas: [String] }
    struct Partitioned: Decodable { var partitions: [PartitionEntry] }
    struct PartitionEntry: Decodable {
      var name: String
      var towns: [String]?
      var `default`: Bool?
      var replicas: [String]
    }
    var identity: Replicated
    var catalogue: Partitioned
    var analytics: Partitioned
  }

  /// Why a topology could not be read; the message names the problem.
  public struct Problem: Error, CustomStringConvertible {
    public var description: String
  }

  /// Reads and checks the topology at `path`.
  public static func load(_ path: String) throws -> Topology {
    let url = URL(fileURLWithPath: path)
    let handle: FileHandle
    do { handle = try FileHandle(forReadingFrom: url) } catch {
      throw Problem(description: "cannot open topology \(path): \(error.localizedDescription)")
    }
    defer { try? handle.close() }
    let data = try handle.read(upToCount: Topology.maximumFileBytes + 1) ?? Data()
    guard data.count <= Topology.maximumFileBytes else {
      throw Problem(description: "topology \(path) is larger than 1 MiB")
    }
    do { return try parse(data) } catch let problem as Problem {
      throw Problem(description: "topology \(path): \(problem.description)")
    }
  }

  /// A topology from the file's bytes, checked.
  public static func parse(_ data: Data) throws -> Topology {
    let file: File
    do { file = try JSONDecoder().decode(File.self, from: data) } catch let error as DecodingError {
      throw Problem(description: describe(error))
    }
    func partitions(_ entries: [File.PartitionEntry]) throws -> [Topology.Partition] {
      try entries.prefix(Topology.maximumPartitions + 1).map { e in
        Topology.Partition(
          name: e.name, towns: Set((e.towns ?? []).prefix(Topology.maximumTowns + 1)),
          isDefault: e.default ?? false, replicas: try targets(e.replicas))
      }
    }
    let topology = Topology(
      identity: try targets(file.identity.replicas),
      catalogue: try partitions(file.catalogue.partitions),
      analytics: try partitions(file.analytics.partitions))
    if let problem = topology.problem() { throw Problem(description: problem) }
    return topology
  }

  /// "host:port" entries as targets (at most `Topology.maximumReplicas` + 1 are looked at: the
  /// check then names the count).
  public static func targets<S: Sequence>(_ entries: S) throws -> [RPCChannel.Target]
  where S.Element: StringProtocol {
    try entries.prefix(Topology.maximumReplicas + 1).map { try target(String($0)) }
  }

  /// "host:port" (IPv6 hosts in brackets) as a target.
  public static func target(_ item: String) throws -> RPCChannel.Target {
    guard let colon = item.lastIndex(of: ":"), colon != item.startIndex,
      item.utf8.count <= 300,
      let port = Int(item[item.index(after: colon)...]), (1...65_535).contains(port)
    else { throw Problem(description: "\"\(item.prefix(80))\" is not host:port") }
    var host = String(item[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return RPCChannel.Target(host: host, port: port)
  }

  private static func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
      let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
        .joined()
      return p.isEmpty ? "the file" : String(p.drop { $0 == "." })
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "\(path(context)) lacks \"\(key.stringValue)\""
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "\(path(context)) has the wrong type"
    case .dataCorrupted(let context):
      return "not JSON (\(path(context)))"
    @unknown default:
      return "not a topology"
    }
  }
}
