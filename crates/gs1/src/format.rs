//! Writing AI data back out: bracketed HRI text, unbracketed element strings with a chosen
//! FNC1 representation, and scan data.

use crate::ai_data::AiData;
use crate::error::{Error, ErrorKind};
use crate::scan::Symbology;

impl AiData {
    /// Appends the canonical bracketed form, `(01)09506000134352(21)X1`, escaping `(` in values as `\(`.
    pub fn write_bracketed(&self, out: &mut String) {
        for element in self.elements() {
            out.push('(');
            out.push_str(element.ai().as_str());
            out.push(')');
            let value = self.value(element);
            if value.contains('(') {
                out.push_str(&value.replace('(', "\\("));
            } else {
                out.push_str(value);
            }
        }
    }

    /// The canonical bracketed form as a new string.
    pub fn to_bracketed(&self) -> String {
        let mut out = String::new();
        self.write_bracketed(&mut out);
        out
    }

    /// Appends the element strings with `fnc1` after each variable-length value that another
    /// AI follows (no leading FNC1; callers add `^`, a symbology identifier, or nothing).
    pub fn write_element_string(&self, fnc1: &str, out: &mut String) {
        self.write_elements(self.elements(), fnc1, out);
    }

    fn write_elements(&self, elements: &[crate::Element], fnc1: &str, out: &mut String) {
        for (i, element) in elements.iter().enumerate() {
            out.push_str(element.ai().as_str());
            out.push_str(self.value(element));
            if element.needs_fnc1() && i + 1 < elements.len() {
                out.push_str(fnc1);
            }
        }
    }

    /// The unbracketed form with `^` for FNC1, `^0109506000134352^10AB`, as the GS1 Syntax Engine writes it.
    pub fn to_unbracketed(&self) -> String {
        let mut out = String::from("^");
        self.write_element_string("^", &mut out);
        out
    }

    /// The scan data a reader would send for this data in `symbology` (GS for FNC1).
    ///
    /// EAN-13 and EAN-8 carry only a GTIN that fits them, first in the data; any other AIs go
    /// in a composite component (`|]e0...`). Data without such a GTIN has no EAN form.
    pub fn to_scan_data(&self, symbology: Symbology) -> Result<String, Error> {
        let mut out = String::from(symbology.gs1_identifier());
        let digits = match symbology {
            Symbology::Ean13 => 13,
            Symbology::Ean8 => 8,
            _ => {
                self.write_element_string("\u{1d}", &mut out);
                return Ok(out);
            }
        };
        let elements = self.elements();
        let gtin = match elements.first() {
            Some(first) if first.ai().is("01") => self.value(first),
            _ => return Err(Error::new(ErrorKind::NoLinearForm)),
        };
        let (pad, short) = gtin.split_at(14 - digits);
        if !pad.bytes().all(|b| b == b'0') {
            return Err(Error::new(ErrorKind::NoLinearForm).ai(elements[0].ai()));
        }
        out.push_str(short);
        if elements.len() > 1 {
            out.push_str("|]e0");
            self.write_elements(&elements[1..], "\u{1d}", &mut out);
        }
        Ok(out)
    }
}
