/// A small RDF model for the export: one subject with its types and properties. Both writers
/// (Turtle, JSON-LD) serialise the same nodes, so both documents hold the same graph.
/// I/O-free.
public enum RDFTerm: Equatable, Sendable {
  /// An absolute IRI.
  case iri(String)
  /// A blank node, labelled unique within one document.
  case blank(String)
  /// A literal; `datatype` is a prefixed name (e.g. "xsd:dateTime") or nil for a plain string.
  case literal(String, datatype: String? = nil)
}

public struct RDFNode: Equatable, Sendable {
  public var subject: RDFTerm
  /// Prefixed names ("dcat:Dataset").
  public var types: [String]
  /// Prefixed predicate names ("dct:title") with their objects, in order.
  public var properties: [(predicate: String, object: RDFTerm)]

  public init(subject: RDFTerm, types: [String], properties: [(String, RDFTerm)] = []) {
    self.subject = subject
    self.types = types
    self.properties = properties.map { (predicate: $0.0, object: $0.1) }
  }

  public mutating func add(_ predicate: String, _ object: RDFTerm) {
    properties.append((predicate, object))
  }

  /// Adds a plain literal unless `value` is empty.
  public mutating func add(_ predicate: String, text value: String) {
    if !value.isEmpty { properties.append((predicate, .literal(value))) }
  }

  public static func == (lhs: RDFNode, rhs: RDFNode) -> Bool {
    lhs.subject == rhs.subject && lhs.types == rhs.types
      && lhs.properties.elementsEqual(rhs.properties) {
        $0.predicate == $1.predicate && $0.object == $1.object
      }
  }
}

/// The vocabularies the export uses, by prefix.
public enum RDFVocabulary {
  public static let prefixes: [(prefix: String, namespace: String)] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("dcatde", "http://dcat-ap.de/def/dcatde/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("gsp", "http://www.opengis.net/ont/geosparql#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
  ]

  /// The full IRI of a prefixed name ("xsd:date"); the name itself when its prefix is not one
  /// of the export's.
  public static func expand(_ name: String) -> String {
    guard let colon = name.firstIndex(of: ":"),
      let namespace = prefixes.first(where: { $0.prefix == name[..<colon] })?.namespace
    else { return name }
    return namespace + name[name.index(after: colon)...]
  }

  /// An IRI as it may stand between `<` and `>` in Turtle and as a JSON-LD `@id`: characters
  /// that IRIs do not allow (space, `<>"{}|\^` and backtick, controls) percent-encoded.
  public static func safeIRI(_ value: String) -> String {
    var out = ""
    out.reserveCapacity(value.utf8.count)
    for scalar in value.unicodeScalars {
      if scalar.value <= 0x20 || "<>\"{}|\\^`".unicodeScalars.contains(scalar) {
        for byte in String(scalar).utf8 { out += "%" + hex(byte) }
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  static func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
  }
}
