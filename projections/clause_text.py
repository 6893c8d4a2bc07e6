"""Short quotations of the agreement, by clause, for explanations (text of December 6, 2002).

Ellipses mark omitted words; nothing is paraphrased inside the quotation marks.
"""

from __future__ import annotations

QUOTES: dict[str, str] = {
    "1.3": (
        '"deliver to Sellers at the Closing 205,000 shares of the Series B Convertible Preferred Stock '
        '(the "Buyer Securities") ... The $2,050,000 value of the Buyer Securities"'
    ),
    "1.5": '"CRS shall deliver to Sellers ... the Earnout Shares"',
    "1.5(b) catch-up": (
        '"CRS shall deliver to Sellers at the Closing that number of Earnout Shares equal to the product '
        "obtained by multiplying the total number of Earnout Shares by a fraction, the numerator of which is "
        "the number of full calendar months that have elapsed from and including January 2003 through the "
        "calendar month ending immediately preceding the calendar month in which the Closing occurs, and the "
        'denominator of which is 14"'
    ),
    "1.5(b)": (
        '"so long as no BP Event has occurred, CRS shall deliver to Sellers on the first day of each calendar '
        'month ... one-fourteenth (1/14) of the Earnout Shares"'
    ),
    "1.5(b) A": (
        '"A is the number of Earnout Shares that have not been delivered to Sellers as of the date of the BP Event."'
    ),
    "1.5(b) n": (
        '"continuing for a number of full calendar months equal to the number of months within the period '
        'commencing with the month the BP Event occurs through February 2004"'
    ),
    "1.5(b) D": (
        '"D is the sum of the assumed monthly gross margins during the Measurement Period, where the assumed '
        "gross margin in the first month is the lower of the gross margin ... for the month of January 2003 and "
        "the gross margin ... for the month immediately preceding the month in which the BP Event occurs, "
        "reduced by three percent, and the assumed monthly gross margin in each successive month ... is three "
        'percent less than the assumed gross margin for the previous month"'
    ),
    "1.5(b) N(i)": (
        '"actual cumulative gross margin pertaining to services provided and sold under the BP Agreement during '
        'the period (the "Measurement Period") beginning with the first day of the month in which the BP Event '
        'or Deemed Event occurs, whichever is later"'
    ),
    "1.5(b) N": '"N is the lesser of: (i) actual cumulative gross margin ... and, (ii) the value for D."',
    "1.5(b) M": (
        '"If a BP Event occurs, CRS shall deliver to Sellers within 30 days following the end of the Measurement '
        'Period ... that number of Earnout Shares determined on the basis of the following formula: M = A x N / D"'
    ),
    "BP Event": (
        '"BP Event" means the occurrence of one of the following during the 14-month period commencing '
        'January 1, 2003 ... "the BP Event shall be deemed to have occurred (the "Deemed Event")"'
    ),
    "1.5(c)": (
        '"Any of the Earnout Shares that are not delivered to Sellers under the provisions of Section 1.5(b) by '
        "the later of March 1, 2004 and 30 days following the end of the Measurement Period ... shall be returned "
        'to the Buyer, cancelled, and treated for all purposes as a reduction of the Purchase Price."'
    ),
    "8.1(c) deposit": (
        '"On the Effective Date Sellers shall deliver to the escrow agent named in the Escrow Agreement a '
        'certificate representing 25,000 shares of the Buyer Securities"'
    ),
    "8.1(c)": (
        '"the amount payable to Buyer shall be satisfied exclusively by surrender to Buyer and cancellation of '
        "Buyer Securities up to a liquidation value of $250,000 in aggregate Losses on Indemnifiable Claims, and "
        'for any Losses in excess of $250,000 shall be satisfied in cash or cash equivalents"'
    ),
    "7.2": (
        '"In the event that this Agreement shall be terminated pursuant to Section 7.1, all further obligations '
        'of the Parties under this Agreement shall terminate without further liability of any Party to another"'
    ),
    "8.6": (
        '"If it is finally determined that such claims are covered by this Article VIII, the amount of such '
        "claims may be offset against the retained payments and the remainder, if any, shall be delivered to "
        'Sellers"'
    ),
    "Escrow Agreement": '"which will be held and distributed as provided in the Escrow Agreement"',
    "8.1(b)": (
        '"Sellers shall have no liability under this Section 8.1 for any Losses, until the aggregate amount of all '
        'Losses ... exceeds $25,000 (the "Allowance"), after which Sellers shall be liable ... for the entire '
        'amount of the Allowance and any additional Losses in excess of the Allowance"'
    ),
    "8.2(b)": (
        '"Buyer shall have no liability under this Section 8.2 for any Losses, until the aggregate amount of all '
        'Losses ... exceeds $25,000 (the "Allowance"), after which Buyer shall be liable for the entire amount '
        'of the Allowance and any additional Losses in excess of the Allowance"'
    ),
    "8.3": (
        '"Each party entitled to be indemnified pursuant to Sections 8.1 and 8.2 ... shall notify the '
        'indemnifying party ... in writing"'
    ),
    "7.3": (
        '"All representations and warranties contained in or made pursuant to this Agreement shall expire on '
        'the date that is two years following the Closing Date"'
    ),
    "7.3(i)": '"shall survive the Closing and shall remain in full force and effect indefinitely"',
    "7.3(ii)": (
        '"the representations and warranties contained in Section 2.11 (Taxes) shall continue through the '
        "expiration of the applicable statute of limitations as the same may be extended (or, if a claim has "
        'been asserted prior to such expiration, until three months after the date of its final resolution)"'
    ),
    "7.3(iv)": (
        '"if a claim or notice is given under Article VIII (Indemnification) with respect to any representation '
        "or warranty prior to the applicable expiration date, such representation or warranty shall continue "
        'indefinitely until such claim is finally resolved"'
    ),
    "Closing": (
        '"and "Closing Date" is the date of the Closing, which shall be the date that is three business days '
        'following the date on which all of the items contemplated by Section 6.1 have been obtained or waived."'
    ),
    "1.5(a)": (
        '"The Closing will take place ... on the date specified for the Closing, or on such other date as the '
        'Parties may mutually agree."'
    ),
    "6.1": (
        '"The obligations of the Parties to effect the Closing shall be subject to the following conditions '
        'unless waived in writing by the Party or Parties that benefit from such condition"'
    ),
    "9.11": (
        '"Each such notice or other communication shall be effective (i) if given by facsimile, when transmitted '
        "... and an appropriate answerback is received, (ii) if given by mail, three days after such "
        'communication is deposited in the mails ... or (iii) if given by any other means, when actually received"'
    ),
}
