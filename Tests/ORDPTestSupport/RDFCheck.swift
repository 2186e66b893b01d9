public import Foundation
import ORDPRPC

/// rdflib (PyPI) as the independent judge of the export: `scripts/rdf-check.py` run by the
/// Python of `ORDP_PYTHON`, else `.build/python/bin/python` (what `scripts/install-deps.sh`
/// makes). Without one the tests skip — unless `ORDP_REQUIRE_RDFLIB=1` (CI), where they run
/// and fail.
public enum RDFCheck {
  public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  public static let python: String =
    ProcessInfo.processInfo.environment["ORDP_PYTHON"]
    ?? root.appendingPathComponent(".build/python/bin/python").path
  public static let available =
    ProcessInfo.processInfo.environment["ORDP_REQUIRE_RDFLIB"] == "1"
    || FileManager.default.isExecutableFile(atPath: python)

  public struct Report: Decodable {
    public var triples: [Int]
    public var isomorphic: Bool
    public var ill_typed: [String]
    public var catalogues: [String]
    public var catalogue_datasets: [String]
    public var datasets: [String: Dataset]
  }

  public struct Dataset: Decodable {
    public var properties: [String: [String]]
    public var distributions: [[String: [String]]]

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      var properties: [String: [String]] = [:]
      var distributions: [[String: [String]]] = []
      for key in container.allKeys {
        if key.stringValue == "distributions" {
          distributions = try container.decode([[String: [String]]].self, forKey: key)
        } else {
          properties[key.stringValue] = try container.decode([String].self, forKey: key)
        }
      }
      self.properties = properties
      self.distributions = distributions
    }

    public subscript(_ predicate: String) -> [String] { properties[predicate] ?? [] }
  }

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  /// Parses the documents (`(rdflib format, text)`) and reports on them.
  public static func check(_ documents: [(String, Data)]) throws -> Report {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "rdf-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var arguments = [root.appendingPathComponent("scripts/rdf-check.py").path]
    for (index, (format, data)) in documents.enumerated() {
      let file = directory.appendingPathComponent("document-\(index)")
      try data.write(to: file)
      arguments.append("\(format):\(file.path)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let problems = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw RPCError(
        .internal, "rdflib refused the export: \(String(decoding: problems, as: UTF8.self))")
    }
    return try JSONDecoder().decode(Report.self, from: data)
  }
}
