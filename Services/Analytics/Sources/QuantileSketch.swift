import Foundation

/// A mergeable quantile sketch with relative error (DDSketch, Masson et al., VLDB 2019): values
/// fall into logarithmic buckets of ratio γ = (1+α)/(1−α), so any quantile it returns is within
/// a factor (1 ± α) of a true value at that rank. Two sketches with the same α merge by adding
/// bucket counts: the merge of partitions' sketches equals the sketch of all their data. Negative
/// values use a mirrored set of buckets; zero (and |x| below `minimumMagnitude`) its own count.
/// I/O-free.
public struct QuantileSketch: Sendable, Equatable {
  /// The relative accuracy α.
  public let relativeAccuracy: Double
  let gamma: Double
  let logGamma: Double
  /// Bucket index → count, for positive and for negative values.
  public private(set) var positive: [Int32: UInt64] = [:]
  public private(set) var negative: [Int32: UInt64] = [:]
  public private(set) var zeroCount: UInt64 = 0
  public private(set) var count: UInt64 = 0

  /// Magnitudes below this count as zero (keeps bucket indexes small).
  public static let minimumMagnitude = 1e-9

  public init(relativeAccuracy: Double = 0.01) {
    precondition(relativeAccuracy > 0 && relativeAccuracy < 1)
    self.relativeAccuracy = relativeAccuracy
    gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    logGamma = Foundation.log(gamma)
  }

  /// Restores a sketch from its buckets (e.g. partial state from another partition).
  public init(
    relativeAccuracy: Double, positive: [Int32: UInt64], negative: [Int32: UInt64],
    zeroCount: UInt64
  ) {
    self.init(relativeAccuracy: relativeAccuracy)
    self.positive = positive
    self.negative = negative
    self.zeroCount = zeroCount
    count = zeroCount + positive.values.reduce(0, +) + negative.values.reduce(0, +)
  }

  func index(_ magnitude: Double) -> Int32 {
    Int32(Foundation.ceil(Foundation.log(magnitude) / logGamma))
  }

  /// The value a bucket stands for: the one with equal relative distance to both ends.
  func value(_ index: Int32) -> Double {
    2 * Foundation.pow(gamma, Double(index)) / (gamma + 1)
  }

  public mutating func add(_ value: Double, count: UInt64 = 1) {
    guard value.isFinite, count > 0 else { return }
    self.count += count
    if Swift.abs(value) < Self.minimumMagnitude {
      zeroCount += count
    } else if value > 0 {
      positive[index(value), default: 0] += count
    } else {
      negative[index(-value), default: 0] += count
    }
  }

  /// Adds another sketch's counts. Both must have the same relative accuracy.
  public mutating func merge(_ other: QuantileSketch) {
    precondition(other.relativeAccuracy == relativeAccuracy, "sketches of different accuracy")
    for (index, count) in other.positive { positive[index, default: 0] += count }
    for (index, count) in other.negative { negative[index, default: 0] += count }
    zeroCount += other.zeroCount
    count += other.count
  }

  /// The value at quantile `q` (0…1), or nil when empty. Rank as in "lower" interpolation:
  /// the value at position ⌊q·(n−1)⌋ of the sorted data.
  public func quantile(_ q: Double) -> Double? {
    guard count > 0, q >= 0, q <= 1 else { return nil }
    let rank = UInt64((q * Double(count - 1)).rounded(.down))
    var seen: UInt64 = 0
    // Negative values: largest magnitude first.
    for index in negative.keys.sorted(by: >) {
      seen += negative[index]!
      if seen > rank { return -value(index) }
    }
    seen += zeroCount
    if seen > rank { return 0 }
    for index in positive.keys.sorted() {
      seen += positive[index]!
      if seen > rank { return value(index) }
    }
    return positive.keys.max().map(value)
  }
}
