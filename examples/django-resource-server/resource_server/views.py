from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from gatehouse_auth.permissions import HasRoles, HasScopes

INVOICES = [{"id": 1, "amount": "120.00"}, {"id": 2, "amount": "75.50"}]


class Health(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        return Response({"ok": True})


class Invoices(APIView):
    def get_permissions(self):
        # Reading needs invoices:read, creating invoices:write.
        return [HasScopes("invoices:write" if self.request.method == "POST" else "invoices:read")()]

    def get(self, request):
        return Response({"subject": request.user.id, "invoices": INVOICES})

    def post(self, request):
        return Response({"subject": request.user.id, "created": request.data}, status=201)


class Report(APIView):
    permission_classes = [HasScopes("invoices:read"), HasRoles("billing:admin")]

    def get(self, request):
        return Response({"subject": request.user.id, "total": "195.50"})
