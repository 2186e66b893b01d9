import Foundation

/// Folds German text for matching: lower case, umlauts and ß spelled out the way people type
/// them without a German keyboard ("Straße" → "strasse", "Müll" → "muell"), other diacritics
/// removed ("Café" → "cafe"). Index and queries are folded the same way, so "Strasse" finds
/// "Straße" and "Muell" finds "Müll".
public enum GermanFolding {
  public static func fold(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text.lowercased() {
      switch character {
      case "ä": result += "ae"
      case "ö": result += "oe"
      case "ü": result += "ue"
      case "ß", "ẞ": result += "ss"
      default:
        // Other letters with diacritics: keep the base letter (NFD, drop combining marks).
        let scalars = String(character).decomposedStringWithCanonicalMapping.unicodeScalars
        for scalar in scalars where !(0x0300...0x036F).contains(scalar.value) {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result
  }

  /// The folded words of `text` (letters and digits), for FTS queries and keyword matching.
  public static func words(_ text: String) -> [String] {
    fold(text).split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
  }

  /// A URL-safe slug: folded words joined by '-', at most 80 characters.
  public static func slug(_ text: String) -> String {
    let words = self.words(text).map { word in
      String(word.unicodeScalars.filter { $0.isASCII }.map(Character.init))
    }.filter { !$0.isEmpty }
    var slug = ""
    for word in words {
      if slug.count + word.count + 1 > 80 { break }
      slug += slug.isEmpty ? word : "-" + word
    }
    return slug
  }
}
