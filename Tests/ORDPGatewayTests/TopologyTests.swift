import Foundation
import ORDPGateway
import ORDPRPC
import Testing

@Suite struct TopologyTests {
  func parse(_ json: String) throws -> Topology { try TopologyFile.parse(Data(json.utf8)) }

  static let valid = """
    {
      "identity": { "replicas": ["127.0.0.1:7444"] },
      "catalogue": { "partitions": [
        { "name": "west", "towns": ["arnsberg", "menden"], "replicas": ["127.0.0.1:7445", "[::1]:7455"] },
        { "name": "east", "towns": ["soest"], "default": true, "replicas": ["127.0.0.1:7465"] } ] },
      "analytics": { "partitions": [
        { "name": "all", "default": true, "replicas": ["localhost:7446"] } ] }
    }
    """

  @Test func aTopologyFileNamesPartitionsTownsAndReplicas() throws {
    let t = try parse(Self.valid)
    #expect(t.identity == [RPCChannel.Target(host: "127.0.0.1", port: 7444)])
    #expect(t.catalogue.map(\.name) == ["west", "east"])
    #expect(t.catalogue[0].towns == ["arnsberg", "menden"])
    #expect(t.catalogue[0].replicas[1] == RPCChannel.Target(host: "::1", port: 7455))
    #expect(!t.catalogue[0].isDefault && t.catalogue[1].isDefault)
    #expect(t.analytics[0].towns.isEmpty)
  }

  @Test(arguments: [
    ("{", "not JSON"),
    (#"{"identity": {"replicas": []}}"#, "lacks \"catalogue\""),
    (
      #"{"identity": {"replicas": [1]}, "catalogue": {"partitions": []}, "analytics": {"partitions": []}}"#,
      "identity.replicas[0] has the wrong type"
    ),
    (
      #"{"identity": {"replicas": []}, "catalogue": {"partitions": []}, "analytics": {"partitions": []}}"#,
      "identity needs 1 to 64 replicas, has 0"
    ),
  ])
  func malformedFilesAreRefusedNamingWhere(json: String, expected: String) {
    #expect(throws: TopologyFile.Problem.self) { try parse(json) }
    do { _ = try parse(json) } catch {
      #expect("\(error)".contains(expected), "\(error)")
    }
  }

  func problem(_ edit: (inout Topology) -> Void) throws -> String? {
    var t = try parse(Self.valid)
    edit(&t)
    return t.problem()
  }

  @Test func inconsistentTopologiesAreRefused() throws {
    #expect(try problem { _ in } == nil)
    #expect(
      try problem { $0.catalogue[1].towns.insert("menden") }
        == #"catalogue: town "menden" is in partitions "west" and "east""#)
    #expect(
      try problem { $0.catalogue[0].isDefault = true } == "catalogue has 2 default partitions")
    #expect(
      try problem { $0.catalogue[1].name = "west" } == #"catalogue partition "west" is named twice"#
    )
    #expect(
      try problem { $0.catalogue[0].towns.insert("Not A Town") }?.contains("not an organisation id")
        == true)
    #expect(
      try problem { $0.catalogue[0].replicas.append($0.catalogue[0].replicas[0]) }
        == #"catalogue partition "west" names a replica twice"#)
    #expect(
      try problem { $0.catalogue[0].towns = [] }
        == #"catalogue partition "west" holds no town and is not the default"#)
    #expect(try problem { $0.analytics = [] } == "analytics needs 1 to 64 partitions, has 0")
    #expect(
      try problem { t in
        t.catalogue[0].replicas = (1...65).map { RPCChannel.Target(host: "h", port: $0) }
      } == #"catalogue partition "west" needs 1 to 64 replicas, has 65"#)
    #expect(
      try problem { $0.identity = [RPCChannel.Target(host: "h", port: 0)] }
        == #"identity: "h:0" is not host:port"#)
  }

  @Test func hostPortEntriesAreChecked() throws {
    #expect(
      try TopologyFile.target("example.org:7445")
        == RPCChannel.Target(host: "example.org", port: 7445))
    for bad in [
      "example.org", ":7445", "h:0", "h:65536", "h:-1", "h:x",
      String(repeating: "h", count: 400) + ":1",
    ] {
      #expect(throws: TopologyFile.Problem.self, "\(bad.prefix(20))") {
        try TopologyFile.target(bad)
      }
    }
  }

  @Test func aFileOverOneMebibyteIsRefusedUnread() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "topology-\(UUID()).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try Data(repeating: 0x20, count: Topology.maximumFileBytes + 1).write(to: url)
    #expect(throws: TopologyFile.Problem.self) { try TopologyFile.load(url.path) }
    try Data(Self.valid.utf8).write(to: url)
    #expect(try TopologyFile.load(url.path).catalogue.count == 2)
  }
}
