/// Observations of one stream as columns, sorted by time, times unique.
public struct ObservationColumns: Sendable, Equatable {
  public var times: [Int64] = []
  public var results: [Double] = []
  /// Empty when every quality is 0 (none).
  public var qualities: [UInt32] = []

  public init(times: [Int64] = [], results: [Double] = [], qualities: [UInt32] = []) {
    self.times = times
    self.results = results
    self.qualities = qualities.contains { $0 != 0 } ? qualities : []
  }

  public var count: Int { times.count }

  public func quality(_ index: Int) -> UInt32 { qualities.isEmpty ? 0 : qualities[index] }

  mutating func append(from other: ObservationColumns, _ index: Int) {
    if qualities.isEmpty && other.quality(index) != 0 {
      qualities = Array(repeating: 0, count: times.count)
    }
    times.append(other.times[index])
    results.append(other.results[index])
    if !qualities.isEmpty { qualities.append(other.quality(index)) }
  }

  func slice(_ range: Range<Int>) -> ObservationColumns {
    ObservationColumns(
      times: Array(times[range]), results: Array(results[range]),
      qualities: qualities.isEmpty ? [] : Array(qualities[range]))
  }
}

/// The on-disk form of a block of observations: a version byte, a flags byte (1: qualities
/// follow), the count (u32), then the times (i64), the results (f64) and the qualities (u32),
/// each column contiguous and little-endian, so a block decodes by copying. I/O-free.
public enum BlockCodec {
  static let version: UInt8 = 1

  public struct Malformed: Error, CustomStringConvertible {
    public var description: String { "malformed observation block" }
  }

  public static func encode(_ columns: ObservationColumns) -> [UInt8] {
    let count = columns.count
    let hasQualities = !columns.qualities.isEmpty
    var out: [UInt8] = []
    out.reserveCapacity(6 + count * (hasQualities ? 20 : 16))
    out.append(version)
    out.append(hasQualities ? 1 : 0)
    withUnsafeBytes(of: UInt32(count).littleEndian) { out.append(contentsOf: $0) }
    columns.times.withUnsafeBytes { out.append(contentsOf: $0) }
    columns.results.withUnsafeBytes { out.append(contentsOf: $0) }
    if hasQualities { columns.qualities.withUnsafeBytes { out.append(contentsOf: $0) } }
    return out
  }

  public static func decode(
    _ bytes: UnsafeRawBufferPointer
  ) throws(Malformed)
    -> ObservationColumns
  {
    guard bytes.count >= 6, bytes[0] == version, bytes[1] <= 1 else { throw Malformed() }
    let count = Int(bytes.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian)
    let hasQualities = bytes[1] == 1
    guard bytes.count == 6 + count * (hasQualities ? 20 : 16) else { throw Malformed() }
    var columns = ObservationColumns()
    columns.times = Array(repeating: 0, count: count)
    columns.results = Array(repeating: 0, count: count)
    columns.times.withUnsafeMutableBytes {
      $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[6..<(6 + 8 * count)]))
    }
    columns.results.withUnsafeMutableBytes {
      $0.copyMemory(
        from: UnsafeRawBufferPointer(rebasing: bytes[(6 + 8 * count)..<(6 + 16 * count)]))
    }
    if hasQualities {
      columns.qualities = Array(repeating: 0, count: count)
      columns.qualities.withUnsafeMutableBytes {
        $0.copyMemory(
          from: UnsafeRawBufferPointer(rebasing: bytes[(6 + 16 * count)..<(6 + 20 * count)]))
      }
    }
    return columns
  }

  public static func decode(_ bytes: [UInt8]) throws -> ObservationColumns {
    try bytes.withUnsafeBytes { buffer in try decode(buffer) }
  }
}
