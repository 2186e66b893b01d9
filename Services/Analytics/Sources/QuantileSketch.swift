import Foundation

/// A mergeable quantile sketch with relative error (DDSketch, Masson et al., VLDB 2019): values
/// fall into logarithmic buckets of ratio γ = (1+α)/(1−α), so any quantile it returns is within
/// a factor (1 ± α) of a true value at that rank. Two sketches with the same α merge by adding
/// bucket counts: the merge of partitions' sketches equals the sketch of all their data. Negative
/// values use a mirrored set of buckets; zero (and |x| below `minimumMagnitude`) its own count.
/// Buckets are kept dense (one contiguous run of counts per sign), as in the paper's reference
/// implementation: adding is an index computation and an array increment. I/O-free.
public struct QuantileSketch: Sendable, Equatable {
  /// The relative accuracy α.
  public let relativeAccuracy: Double
  let gamma: Double
  let inverseLogGamma: Double
  /// Counts of positive and of negative values (by magnitude) per bucket index.
  public internal(set) var positiveStore = BucketStore()
  public internal(set) var negativeStore = BucketStore()
  public internal(set) var zeroCount: UInt64 = 0
  public private(set) var count: UInt64 = 0

  /// Magnitudes below this count as zero (keeps bucket indexes small).
  public static let minimumMagnitude = 1e-9

  public init(relativeAccuracy: Double = 0.01) {
    precondition(relativeAccuracy > 0 && relativeAccuracy < 1)
    self.relativeAccuracy = relativeAccuracy
    gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    inverseLogGamma = 1 / Foundation.log(gamma)
  }

  /// Restores a sketch from its buckets (e.g. partial state from another partition).
  public init(
    relativeAccuracy: Double, positive: [Int32: UInt64], negative: [Int32: UInt64],
    zeroCount: UInt64
  ) {
    self.init(relativeAccuracy: relativeAccuracy)
    for (index, count) in positive.sorted(by: { $0.key < $1.key }) where count > 0 {
      positiveStore.add(index, count)
    }
    for (index, count) in negative.sorted(by: { $0.key < $1.key }) where count > 0 {
      negativeStore.add(index, count)
    }
    self.zeroCount = zeroCount
    count = zeroCount &+ positiveStore.total &+ negativeStore.total
  }

  /// Restores a sketch from its stores (the storage codec).
  init(relativeAccuracy: Double, positive: BucketStore, negative: BucketStore, zeroCount: UInt64) {
    self.init(relativeAccuracy: relativeAccuracy)
    positiveStore = positive
    negativeStore = negative
    self.zeroCount = zeroCount
    count = zeroCount &+ positive.total &+ negative.total
  }

  /// Bucket index → count of positive values.
  public var positive: [Int32: UInt64] { positiveStore.dictionary }
  /// Bucket index → count of negative values (by magnitude).
  public var negative: [Int32: UInt64] { negativeStore.dictionary }

  @inline(__always) func index(_ magnitude: Double) -> Int32 {
    Int32(Foundation.ceil(Foundation.log(magnitude) * inverseLogGamma))
  }

  /// The value a bucket stands for: the one with equal relative distance to both ends.
  func value(_ index: Int32) -> Double {
    2 * Foundation.pow(gamma, Double(index)) / (gamma + 1)
  }

  public mutating func add(_ value: Double, count: UInt64 = 1) {
    guard value.isFinite, count > 0 else { return }
    self.count &+= count
    if Swift.abs(value) < Self.minimumMagnitude {
      zeroCount &+= count
    } else if value > 0 {
      positiveStore.add(index(value), count)
    } else {
      negativeStore.add(index(-value), count)
    }
  }

  /// Adds another sketch's counts. Both must have the same relative accuracy.
  public mutating func merge(_ other: QuantileSketch) {
    precondition(other.relativeAccuracy == relativeAccuracy, "sketches of different accuracy")
    positiveStore.merge(other.positiveStore)
    negativeStore.merge(other.negativeStore)
    zeroCount &+= other.zeroCount
    count &+= other.count
  }

  /// The value at quantile `q` (0…1), or nil when empty. Rank as in "lower" interpolation:
  /// the value at position ⌊q·(n−1)⌋ of the sorted data.
  public func quantile(_ q: Double) -> Double? {
    guard count > 0, q >= 0, q <= 1 else { return nil }
    let rank = UInt64((q * Double(count - 1)).rounded(.down))
    var seen: UInt64 = 0
    // Negative values: largest magnitude first.
    for position in negativeStore.counts.indices.reversed() {
      seen += negativeStore.counts[position]
      if seen > rank { return -value(negativeStore.offset + Int32(position)) }
    }
    seen += zeroCount
    if seen > rank { return 0 }
    for position in positiveStore.counts.indices {
      seen += positiveStore.counts[position]
      if seen > rank { return value(positiveStore.offset + Int32(position)) }
    }
    return positiveStore.counts.isEmpty ? 0 : value(positiveStore.maximumIndex)
  }
}

/// Counts per bucket index, dense from the lowest to the highest index holding values (both
/// ends always non-zero, so equal contents compare equal). At most `maximumBuckets` of them:
/// values spread wider than that collapse into the highest bucket kept (DDSketch's collapsing
/// store, at the high end), so planted extreme values cannot make every sketch huge. Since
/// magnitudes below `QuantileSketch.minimumMagnitude` count as zero, the buckets kept reach
/// from the smallest magnitude present up by a ratio of γ^2048 (≈ 10^17 at α = 1 %): every
/// plausible measurement keeps its accuracy, and only quantiles that fall among values beyond
/// that (the planted outliers themselves) lose it. The median of a cell with a few values of
/// 1e300 in it stays right; the exact minimum and maximum are kept beside the sketch anyway.
public struct BucketStore: Sendable, Equatable {
  /// Buckets one store keeps at most (the reference implementations' default).
  public static let maximumBuckets = 2048

  /// The bucket index of `counts[0]`.
  public internal(set) var offset: Int32 = 0
  public internal(set) var counts: [UInt64] = []

  public init() {}

  var total: UInt64 { counts.reduce(0, &+) }
  var maximumIndex: Int32 { offset + Int32(counts.count - 1) }

  var dictionary: [Int32: UInt64] {
    var result: [Int32: UInt64] = [:]
    for (position, count) in counts.enumerated() where count > 0 {
      result[offset + Int32(position)] = count
    }
    return result
  }

  @inline(__always) mutating func add(_ index: Int32, _ count: UInt64) {
    if counts.isEmpty {
      offset = index
      counts = [count]
      return
    }
    // Index arithmetic in 64 bits: stores restored from elsewhere may use the whole Int32 range.
    let new = Int(index)
    let low = Int(offset)
    let high = low + counts.count - 1
    let limit = Self.maximumBuckets
    if new > high {
      // Extend upwards as far as the limit allows; higher values go to the highest bucket.
      let highest = Swift.min(new, low + limit - 1)
      if highest > high { counts.append(contentsOf: repeatElement(0, count: highest - high)) }
      counts[highest - low] &+= count
    } else if new < low {
      let highest = new + limit - 1
      if highest < high {
        // The window moves down: what lies above it collapses into its highest bucket.
        if highest < low {
          let all = total
          counts = Array(repeating: 0, count: highest - new + 1)
          counts[counts.count - 1] = all
        } else {
          let kept = highest - low + 1
          let collapsed = counts[kept...].reduce(0, &+)
          counts.removeLast(counts.count - kept)
          counts[kept - 1] &+= collapsed
          counts.insert(contentsOf: repeatElement(0, count: low - new), at: 0)
        }
      } else {
        counts.insert(contentsOf: repeatElement(0, count: low - new), at: 0)
      }
      offset = index
      counts[0] &+= count
    } else {
      counts[new - low] &+= count
    }
  }

  mutating func merge(_ other: BucketStore) {
    guard !other.counts.isEmpty else { return }
    guard !counts.isEmpty else {
      self = other
      return
    }
    let low = Swift.min(Int(offset), Int(other.offset))
    let high = Swift.max(Int(maximumIndex), Int(other.maximumIndex))
    guard high - low + 1 <= Self.maximumBuckets else {
      // Wider than a store may be: bucket by bucket, lowest first, collapsing the highest.
      for position in other.counts.indices where other.counts[position] > 0 {
        add(other.offset + Int32(position), other.counts[position])
      }
      return
    }
    if Int(other.offset) < Int(offset) {
      counts.insert(contentsOf: repeatElement(0, count: Int(offset) - Int(other.offset)), at: 0)
      offset = other.offset
    }
    if Int(other.maximumIndex) > Int(maximumIndex) {
      counts.append(
        contentsOf: repeatElement(0, count: Int(other.maximumIndex) - Int(maximumIndex)))
    }
    let shift = Int(other.offset) - Int(offset)
    counts.withUnsafeMutableBufferPointer { mine in
      for (position, count) in other.counts.enumerated() { mine[shift + position] &+= count }
    }
  }
}
