"""The users of a company that is deleted: they keep their accounts, moved or archived."""

from odoo import SUPERUSER_ID, Command


class CompanyUsers:
    def __init__(self, company):
        self.company = company
        self.env = company.env

    def to_release(self):
        """(users who move to another of their companies, users who have none left)."""
        Users = self.env["res.users"].sudo().with_context(active_test=False)
        users = Users.search(
            ["|", ("company_ids", "in", self.company.id), ("company_id", "=", self.company.id)]
        )
        archived = users.filtered(lambda user: not user.company_ids - self.company)
        return users - archived, archived

    def release(self):
        """Take the company away from its users; return the logins moved and archived.

        A user whose company it was moves to another of their allowed companies;
        a user with no other company is archived, with no company allowed (Odoo
        still needs a current company: the first one left).
        """
        company = self.company
        moved, archived = self.to_release()
        moved, archived = moved.with_user(SUPERUSER_ID), archived.with_user(SUPERUSER_ID)
        for user in moved:
            values = {"company_ids": [Command.unlink(company.id)]}
            if user.company_id == company:
                values["company_id"] = (user.company_ids - company)[0].id
            user.write(values)
        fallback = company.sudo().with_context(active_test=False).search([("id", "!=", company.id)], limit=1)
        archived.write({"active": False, "company_ids": [Command.clear()], "company_id": fallback.id})
        self._partners_follow()
        return {"moved": moved.mapped("login"), "archived": archived.mapped("login")}

    def _partners_follow(self):
        """Users' and other companies' partners leave the company with them."""
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE res_partner p SET company_id = u.company_id FROM res_users u
                WHERE u.partner_id = p.id AND p.company_id = %(company)s;
               UPDATE res_partner p SET company_id = c.id FROM res_company c
                WHERE c.partner_id = p.id AND c.id != %(company)s AND p.company_id = %(company)s""",
            {"company": self.company.id},
        )
        self.env["res.partner"].invalidate_model(["company_id"])
