import Crypto
import Foundation

/// A corpus file: the request messages of one call of one method, each as a 4-byte
/// big-endian length and its bytes. The file name starts with "Service.Method-".
struct CorpusFile {
  var path: String
  var method: String
  var messages: [[UInt8]]

  static func files(in directory: String) throws -> [CorpusFile] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
      .filter { $0.hasSuffix(".bin") }
      .map { name in
        let path = "\(directory)/\(name)"
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return CorpusFile(
          path: path, method: String(name.split(separator: "-").first ?? ""),
          messages: try decode(data, path: path))
      }
  }

  static func decode(_ data: [UInt8], path: String) throws -> [[UInt8]] {
    var messages: [[UInt8]] = []
    var position = 0
    while position < data.count {
      guard position + 4 <= data.count else { throw CorpusError(path: path) }
      let length = data[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
      position += 4
      guard length <= data.count - position else { throw CorpusError(path: path) }
      messages.append(Array(data[position..<position + length]))
      position += length
    }
    return messages
  }

  static func encode(_ messages: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    for message in messages {
      let length = UInt32(message.count)
      out += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> $0) }
      out += message
    }
    return out
  }

  /// Writes `messages` as a corpus file named after the method and their hash.
  @discardableResult
  static func write(
    _ messages: [[UInt8]], method: String, label: String, into directory: String
  ) throws -> String {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true)
    let bytes = encode(messages)
    let hash = SHA256.hash(data: bytes).prefix(6).map { String(format: "%02x", $0) }.joined()
    let path = "\(directory)/\(method)-\(label)-\(hash).bin"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Every method's valid requests, as the seed corpus.
  static func writeSeeds(_ seeds: FuzzPlatform.Seeds, into directory: String) throws {
    for method in MethodTable.all {
      try write(method.templates(seeds), method: method.name, label: "seed", into: directory)
    }
  }

  struct CorpusError: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path): not a corpus file" }
  }
}
